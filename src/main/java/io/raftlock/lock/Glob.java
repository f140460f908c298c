package io.raftlock.lock;

/** Glob matching with {@code *} (any run, possibly empty) and {@code ?} (exactly one char). */
final class Glob {
  private Glob() {}

  /** Whether {@code text} matches {@code glob}; a null or empty glob matches everything. */
  static boolean matches(String glob, String text) {
    if (glob == null || glob.isEmpty()) {
      return true;
    }
    int g = 0;
    int t = 0;
    int starG = -1;
    int starT = 0;
    // Greedy scan with backtracking to the last '*': O(|glob| * |text|) worst case.
    while (t < text.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        starG = g++;
        starT = t;
      } else if (g < glob.length()
          && (glob.charAt(g) == '?' || glob.charAt(g) == text.charAt(t))) {
        g++;
        t++;
      } else if (starG >= 0) {
        g = starG + 1;
        t = ++starT;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }
}
