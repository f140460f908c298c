package io.raftlock.shedlock;

import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** ShedLock's API is blocking: waits for a client stage and rethrows its failure unwrapped. */
final class Blocking {
  private Blocking() {}

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RaftLockException(ErrorCode.ERROR_CODE_UNSPECIFIED, "interrupted", null, false, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new CompletionException(cause);
    }
  }
}
