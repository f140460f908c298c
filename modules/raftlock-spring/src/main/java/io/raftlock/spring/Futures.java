package io.raftlock.spring;

import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** Waits for a client stage and rethrows its failure unwrapped (Lock's API is blocking). */
final class Futures {
  private Futures() {}

  static <T> T await(CompletionStage<T> stage) {
    try {
      return interruptibly(stage);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RaftLockException(ErrorCode.ERROR_CODE_UNSPECIFIED, "interrupted", null, false, e);
    }
  }

  static <T> T interruptibly(CompletionStage<T> stage) throws InterruptedException {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new CompletionException(cause);
    }
  }
}
