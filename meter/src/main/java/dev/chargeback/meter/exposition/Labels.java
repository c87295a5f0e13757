package dev.chargeback.meter.exposition;

import java.util.Arrays;

/**
 * An immutable label set, sorted by name. A label that is absent reads as the empty string, which
 * is what Prometheus means by an empty label value.
 */
public final class Labels {
  public static final Labels EMPTY = new Labels(new String[0]);

  /** name0, value0, name1, value1, … sorted by name. */
  private final String[] pairs;

  private int hash;

  private Labels(String[] pairs) {
    this.pairs = pairs;
  }

  /** Whether {@code name} is a Prometheus label name ({@code [a-zA-Z_][a-zA-Z0-9_]*}). */
  public static boolean isName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
      if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
        return false;
      }
    }
    return true;
  }

  /** Labels from alternating names and values, in any order; duplicate names are rejected. */
  public static Labels of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs");
    }
    String[] pairs = namesAndValues.clone();
    String duplicate = sortPairs(pairs, pairs.length / 2);
    if (duplicate != null) {
      throw new IllegalArgumentException("duplicate label " + duplicate);
    }
    return new Labels(pairs);
  }

  /**
   * Sorts the first {@code count} pairs in place by name (insertion sort: label sets are small) and
   * returns a duplicated name, or null.
   */
  static String sortPairs(String[] pairs, int count) {
    for (int i = 1; i < count; i++) {
      String name = pairs[2 * i];
      String value = pairs[2 * i + 1];
      int j = i - 1;
      while (j >= 0 && pairs[2 * j].compareTo(name) > 0) {
        pairs[2 * j + 2] = pairs[2 * j];
        pairs[2 * j + 3] = pairs[2 * j + 1];
        j--;
      }
      pairs[2 * j + 2] = name;
      pairs[2 * j + 3] = value;
    }
    for (int i = 1; i < count; i++) {
      if (pairs[2 * i].equals(pairs[2 * i - 2])) {
        return pairs[2 * i];
      }
    }
    return null;
  }

  /** Wraps pairs that the parser already sorted; the array is not copied. */
  static Labels ofSorted(String[] pairs) {
    return new Labels(pairs);
  }

  /** The value of a label, or "" when it is absent. */
  public String get(String name) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i].equals(name)) {
        return pairs[i + 1];
      }
    }
    return "";
  }

  /** The value of the first of these labels that is present and not empty, or "". */
  public String first(String name, String alternative) {
    String value = get(name);
    return value.isEmpty() ? get(alternative) : value;
  }

  public int size() {
    return pairs.length / 2;
  }

  public String name(int i) {
    return pairs[2 * i];
  }

  public String value(int i) {
    return pairs[2 * i + 1];
  }

  /** These labels without the named one (used to group per-interface or per-CPU rows). */
  public Labels without(String name) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i].equals(name)) {
        String[] rest = new String[pairs.length - 2];
        System.arraycopy(pairs, 0, rest, 0, i);
        System.arraycopy(pairs, i + 2, rest, i, pairs.length - i - 2);
        return new Labels(rest);
      }
    }
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Labels other && Arrays.equals(pairs, other.pairs);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(pairs);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        out.append(',');
      }
      out.append(pairs[i]).append("=\"");
      escapeTo(pairs[i + 1], out);
      out.append('"');
    }
    return out.append('}').toString();
  }

  /**
   * A series' identity, {@code name} and these labels, as 64 bits: the {@link
   * #identity(CharSequence)} of {@code name + this} (the text form, escaped), computed without
   * building that text. The meter keeps hundreds of thousands of series; their text (cAdvisor's
   * cgroup paths and image names, some 400 characters) was most of its heap.
   */
  public long identity(String name) {
    long h = IDENTITY_SEED;
    h = hash(h, name);
    h = hash(h, '{');
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        h = hash(h, ',');
      }
      h = hash(h, pairs[i]);
      h = hash(h, '=');
      h = hash(h, '"');
      String value = pairs[i + 1];
      for (int j = 0; j < value.length(); j++) {
        char c = value.charAt(j);
        switch (c) {
          case '\\' -> h = hash(hash(h, '\\'), '\\');
          case '"' -> h = hash(hash(h, '\\'), '"');
          case '\n' -> h = hash(hash(h, '\\'), 'n');
          default -> h = hash(h, c);
        }
      }
      h = hash(h, '"');
    }
    return mix(hash(h, '}'));
  }

  /**
   * The 64-bit identity of a series' text (FNV-1a over its characters, then MurmurHash3's
   * finaliser): two of a million series share one with odds of about 3 in 100 million.
   */
  public static long identityOf(CharSequence text) {
    long h = IDENTITY_SEED;
    for (int i = 0; i < text.length(); i++) {
      h = hash(h, text.charAt(i));
    }
    return mix(h);
  }

  private static final long IDENTITY_SEED = 0xcbf29ce484222325L;

  private static long hash(long h, char c) {
    return (h ^ c) * 0x100000001b3L;
  }

  private static long hash(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = hash(h, s.charAt(i));
    }
    return h;
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** Escapes a label value as the exposition formats do: backslash, quote and newline. */
  public static void escapeTo(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }
}
