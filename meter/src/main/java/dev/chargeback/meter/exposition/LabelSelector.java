package dev.chargeback.meter.exposition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An equality-based Kubernetes label selector: {@code k=v}, {@code k==v}, {@code k!=v}, {@code k}
 * (exists), {@code !k} (absent), comma-separated, all must hold.
 */
public record LabelSelector(String text, List<Term> terms) {
  /** One requirement. */
  public record Term(String key, Op op, String value) {}

  /** How a term compares. */
  public enum Op {
    EQUALS,
    NOT_EQUALS,
    EXISTS,
    ABSENT
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the term that is not understood
   */
  public static LabelSelector parse(String text) {
    List<Term> terms = new ArrayList<>();
    for (String raw : text.split(",")) {
      String t = raw.strip();
      if (t.isEmpty()) {
        continue;
      }
      Term term;
      int ne = t.indexOf("!=");
      int eq = t.indexOf('=');
      if (ne > 0) {
        term = new Term(t.substring(0, ne).strip(), Op.NOT_EQUALS, t.substring(ne + 2).strip());
      } else if (eq > 0) {
        String value = t.substring(t.startsWith("==", eq) ? eq + 2 : eq + 1).strip();
        term = new Term(t.substring(0, eq).strip(), Op.EQUALS, value);
      } else if (t.startsWith("!")) {
        term = new Term(t.substring(1).strip(), Op.ABSENT, "");
      } else {
        term = new Term(t, Op.EXISTS, "");
      }
      if (term.key().isEmpty()
          || !term.key().matches("[A-Za-z0-9./_-]+")
          || term.value().contains("=")
          || term.value().contains(" ")) {
        throw new IllegalArgumentException(
            "label selector term '" + t + "' is not k=v, k!=v, k or !k");
      }
      terms.add(term);
    }
    return new LabelSelector(text, List.copyOf(terms));
  }

  /** Whether {@code labels} (null for none) satisfy every term. */
  public boolean matches(Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (Term t : terms) {
      boolean ok =
          switch (t.op()) {
            case EQUALS -> Objects.equals(l.get(t.key()), t.value());
            case NOT_EQUALS -> !Objects.equals(l.get(t.key()), t.value());
            case EXISTS -> l.containsKey(t.key());
            case ABSENT -> !l.containsKey(t.key());
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
