package io.raftlock.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The control of {@link FloodBench}'s {@code burn:N} variant: N threads that only spin for the
 * given seconds, talking to nobody. Started like a flooder (its own process, the flooder's
 * niceness), it prints {@link FloodClients#STARTED} when the threads spin and a line of zero
 * flood counts at the end, so the bench treats it as a flood that sent nothing.
 */
public final class CpuBurner {
  private CpuBurner() {
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: CpuBurner threads seconds");
      System.exit(2);
    }
    int threads = Integer.parseInt(args[0]);
    long deadline = System.nanoTime() + Long.parseLong(args[1]) * 1_000_000_000L;
    List<Thread> spinners = new ArrayList<>();
    long[] sinks = new long[threads];
    for (int t = 0; t < threads; t++) {
      int slot = t;
      Thread spinner = new Thread(() -> {
        long x = slot;
        while (System.nanoTime() < deadline) {
          for (int i = 0; i < 10_000; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
          }
        }
        sinks[slot] = x; // keeps the loop from being optimised away
      }, "burn-" + t);
      spinner.start();
      spinners.add(spinner);
    }
    System.out.println(FloodClients.STARTED);
    System.out.flush();
    for (Thread spinner : spinners) {
      spinner.join();
    }
    System.err.println(sinks.length + " threads burned");
    System.out.println(new FloodClients.Counts(0, 0, 0, 0, 0, 0));
    System.exit(0);
  }
}
