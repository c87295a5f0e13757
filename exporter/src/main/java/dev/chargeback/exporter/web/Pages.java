package dev.chargeback.exporter.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;

/** Small helpers the pages share. */
public final class Pages {
  /** How many months the month picker offers. */
  static final int MONTHS = 13;

  private Pages() {}

  /** A query parameter's value, encoded. */
  public static String url(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The picker's months: {@code current} and the twelve before it, newest first. */
  static List<YearMonth> months(YearMonth current) {
    List<YearMonth> out = new ArrayList<>(MONTHS);
    for (int i = 0; i < MONTHS; i++) {
      out.add(current.minusMonths(i));
    }
    return List.copyOf(out);
  }
}
