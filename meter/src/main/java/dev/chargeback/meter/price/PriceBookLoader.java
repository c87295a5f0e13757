package dev.chargeback.meter.price;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chargeback.meter.config.ConfigLoader;
import dev.chargeback.meter.exposition.LabelSelector;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a price book from YAML, strictly: unknown keys, missing prices, negative numbers, unordered
 * versions and unknown currencies are errors naming the key.
 *
 * <pre>{@code
 * currency: KRW
 * versions:
 *   - effectiveFrom: 2026-01-01
 *     prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0,
 *              networkTransmitGib: 150, storageGibHour: 0.2}
 *     basis: usage            # usage | request | max
 *     taxRate: 0.10
 *     idle: ignore            # ignore | separate | share
 *     namespaces:
 *       team-a: {discount: 0.15}
 *     shared:                 # spread to the other (tenant) namespaces' bills
 *       kube-system: proportional           # to each tenant's own cost
 *       monitoring: even                    # equal parts
 *       _idle: {weights: {team-a: 3, team-b: 1}}   # idle capacity (with idle: separate)
 *     gpuBasis: request       # request | usage | max (GPUs priced by prices.gpuHour, migHour)
 *     nodeClasses:            # by node labels, first match wins; other nodes pay `prices`
 *       - {name: spot, selector: "karpenter.sh/capacity-type=spot", prices: {cpuCoreHour: 15}}
 * budgets:                    # monthly, in the currency; a namespace annotation
 *   - {namespace: team-a, amount: 500000}   # chargeback.dev/budget wins over these
 *   - {selector: "team=payments", amount: 800000}
 * billTo:                     # final bills by e-mail (chargeback.dev/bill-to wins)
 *   team-a: "lead@example.com, finance@example.com"
 * }</pre>
 */
public final class PriceBookLoader {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private PriceBookLoader() {}

  record RawBook(
      String currency,
      List<RawVersion> versions,
      List<RawBudget> budgets,
      Map<String, String> billTo,
      Map<String, RawClusterBook> clusters) {}

  /** A cluster's own price versions, in a central chargeback's book. */
  record RawClusterBook(List<RawVersion> versions) {}

  record RawBudget(String namespace, String selector, BigDecimal amount) {}

  record RawVersion(
      String effectiveFrom,
      Prices prices,
      String basis,
      BigDecimal taxRate,
      String idle,
      Map<String, NamespaceTerms> namespaces,
      Map<String, Object> shared,
      List<RawNodeClass> nodeClasses,
      String gpuBasis) {}

  record RawNodeClass(String name, String selector, Prices prices) {}

  /** The price book shipped with chargeback (KRW). */
  public static PriceBook defaults() {
    try (InputStream in = PriceBookLoader.class.getResourceAsStream("default-prices.yaml")) {
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "default price book");
    } catch (IOException e) {
      throw new IllegalStateException("the built-in price book is missing", e);
    }
  }

  /** The book at {@code file} (config key {@code prices}), or the built-in one when blank. */
  public static PriceBook loadOrDefaults(String file) {
    return file == null || file.isBlank() ? defaults() : load(Path.of(file));
  }

  public static PriceBook load(Path file) {
    try {
      return parse(Files.readString(file), "price book " + file);
    } catch (NoSuchFileException e) {
      throw new PriceBookException("price book " + file + " does not exist");
    } catch (IOException e) {
      throw new PriceBookException("cannot read price book " + file + ": " + e.getMessage(), e);
    }
  }

  public static PriceBook parse(String yaml, String source) {
    RawBook raw;
    try {
      raw = YAML.readValue(yaml, RawBook.class);
    } catch (UnrecognizedPropertyException e) {
      throw new PriceBookException(source + ": unknown key '" + ConfigLoader.path(e) + "'");
    } catch (JsonMappingException e) {
      throw new PriceBookException(
          source
              + ": key '"
              + ConfigLoader.path(e)
              + "': "
              + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (IOException e) {
      throw new PriceBookException(
          source + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (raw == null) {
      throw new PriceBookException(source + " is empty");
    }
    Currency currency;
    try {
      currency =
          Currency.getInstance(
              require(raw.currency(), source, "currency").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new PriceBookException(
          source + ": key 'currency': '" + raw.currency() + "' is not an ISO 4217 currency");
    }
    List<PriceVersion> versions = versions(raw.versions(), source, "");
    Map<String, List<PriceVersion>> clusters = new TreeMap<>();
    if (raw.clusters() != null) {
      for (Map.Entry<String, RawClusterBook> c : raw.clusters().entrySet()) {
        String at = "clusters." + c.getKey() + ".";
        if (c.getValue() == null) {
          throw new PriceBookException(
              source + ": key '" + at + "versions': at least one version is needed");
        }
        clusters.put(c.getKey(), versions(c.getValue().versions(), source, at));
      }
    }
    List<Budget> budgets = new ArrayList<>();
    if (raw.budgets() != null) {
      for (int i = 0; i < raw.budgets().size(); i++) {
        budgets.add(budget(raw.budgets().get(i), source, "budgets[" + i + "]."));
      }
    }
    return new PriceBook(
        currency, versions, budgets, raw.billTo() == null ? Map.of() : raw.billTo(), clusters);
  }

  /** Price versions in increasing date order, each checked (keys named after {@code at}). */
  private static List<PriceVersion> versions(List<RawVersion> raw, String source, String at) {
    if (raw == null || raw.isEmpty()) {
      throw new PriceBookException(
          source + ": key '" + at + "versions': at least one version is needed");
    }
    List<PriceVersion> versions = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      String key = at + "versions[" + i + "]";
      PriceVersion v = version(raw.get(i), source, key + ".");
      if (!versions.isEmpty() && !v.effectiveFrom().isAfter(versions.getLast().effectiveFrom())) {
        throw new PriceBookException(
            source
                + ": key '"
                + key
                + ".effectiveFrom': versions must be in increasing date order");
      }
      versions.add(v);
    }
    return versions;
  }

  private static Budget budget(RawBudget raw, String source, String at) {
    if (raw == null) {
      throw new PriceBookException(
          source + ": key '" + at.substring(0, at.length() - 1) + "': empty");
    }
    if ((raw.namespace() == null) == (raw.selector() == null)) {
      throw new PriceBookException(
          source + ": key '" + at + "namespace': give either a namespace or a selector");
    }
    BigDecimal amount = require(raw.amount(), source, at + "amount");
    if (amount.signum() < 0) {
      throw new PriceBookException(source + ": key '" + at + "amount': must not be negative");
    }
    LabelSelector selector = null;
    if (raw.selector() != null) {
      try {
        selector = LabelSelector.parse(raw.selector());
      } catch (IllegalArgumentException e) {
        throw new PriceBookException(source + ": key '" + at + "selector': " + e.getMessage());
      }
      if (selector.terms().isEmpty()) {
        throw new PriceBookException(source + ": key '" + at + "selector': empty");
      }
    }
    return new Budget(raw.namespace(), selector, amount);
  }

  private static PriceVersion version(RawVersion raw, String source, String at) {
    LocalDate from;
    try {
      from = LocalDate.parse(require(raw.effectiveFrom(), source, at + "effectiveFrom"));
    } catch (DateTimeParseException e) {
      throw new PriceBookException(
          source
              + ": key '"
              + at
              + "effectiveFrom': '"
              + raw.effectiveFrom()
              + "' is not a date (YYYY-MM-DD)");
    }
    Prices prices = require(raw.prices(), source, at + "prices");
    checkPrices(prices, source, at + "prices.", true);
    Basis basis = choice(Basis.class, raw.basis(), Basis.USAGE, source, at + "basis");
    Basis gpuBasis = choice(Basis.class, raw.gpuBasis(), Basis.REQUEST, source, at + "gpuBasis");
    IdlePolicy idle = choice(IdlePolicy.class, raw.idle(), IdlePolicy.IGNORE, source, at + "idle");
    BigDecimal tax = raw.taxRate() == null ? BigDecimal.ZERO : raw.taxRate();
    fraction(tax, source, at + "taxRate");
    Map<String, NamespaceTerms> namespaces = new TreeMap<>();
    if (raw.namespaces() != null) {
      raw.namespaces()
          .forEach(
              (ns, terms) -> {
                String key = at + "namespaces." + ns + ".";
                if (terms == null) {
                  throw new PriceBookException(source + ": key '" + key + "': empty terms");
                }
                if (terms.discount() != null) {
                  fraction(terms.discount(), source, key + "discount");
                }
                if (terms.prices() != null) {
                  checkPrices(terms.prices(), source, key + "prices.", false);
                }
                namespaces.put(ns, terms);
              });
    }
    Map<String, SharedCost> shared = new TreeMap<>();
    if (raw.shared() != null) {
      raw.shared().forEach((ns, spec) -> shared.put(ns, shared(ns, spec, source, at + "shared.")));
    }
    for (SharedCost c : shared.values()) {
      if (c.namespace().equals(SharedCost.IDLE) && idle != IdlePolicy.SEPARATE) {
        throw new PriceBookException(
            source
                + ": key '"
                + at
                + "shared._idle': spreading idle capacity needs 'idle: separate' in the same"
                + " version");
      }
      for (String tenant : c.weights().keySet()) {
        if (shared.containsKey(tenant)) {
          throw new PriceBookException(
              source
                  + ": key '"
                  + at
                  + "shared."
                  + c.namespace()
                  + ".weights."
                  + tenant
                  + "': a shared namespace is not a tenant");
        }
      }
    }
    List<NodeClass> classes = new ArrayList<>();
    if (raw.nodeClasses() != null) {
      for (int i = 0; i < raw.nodeClasses().size(); i++) {
        NodeClass c = nodeClass(raw.nodeClasses().get(i), source, at + "nodeClasses[" + i + "].");
        if (classes.stream().anyMatch(o -> o.name().equals(c.name()))) {
          throw new PriceBookException(
              source
                  + ": key '"
                  + at
                  + "nodeClasses["
                  + i
                  + "].name': '"
                  + c.name()
                  + "' is named twice");
        }
        classes.add(c);
      }
    }
    return new PriceVersion(
        from, prices, basis, tax, idle, Map.copyOf(namespaces), shared, classes, gpuBasis);
  }

  private static NodeClass nodeClass(RawNodeClass raw, String source, String at) {
    if (raw == null) {
      throw new PriceBookException(
          source + ": key '" + at.substring(0, at.length() - 1) + "': empty");
    }
    String name = require(raw.name(), source, at + "name");
    if (!name.matches("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?")) {
      throw new PriceBookException(
          source
              + ": key '"
              + at
              + "name': '"
              + name
              + "' is not a lowercase name of letters, digits, '-' and '.' (at most 63)");
    }
    LabelSelector selector;
    try {
      selector = LabelSelector.parse(require(raw.selector(), source, at + "selector"));
    } catch (IllegalArgumentException e) {
      throw new PriceBookException(source + ": key '" + at + "selector': " + e.getMessage());
    }
    if (selector.terms().isEmpty()) {
      throw new PriceBookException(
          source + ": key '" + at + "selector': empty (it would match every node)");
    }
    Prices prices = require(raw.prices(), source, at + "prices");
    checkPrices(prices, source, at + "prices.", false);
    return new NodeClass(name, selector, prices);
  }

  /**
   * One shared namespace's spread: {@code proportional}, {@code even}, or {@code {weights: {…}}}.
   */
  private static SharedCost shared(String namespace, Object spec, String source, String at) {
    String key = at + namespace;
    if (spec instanceof String method) {
      SharedCost.Spread spread = choice(SharedCost.Spread.class, method, null, source, key);
      if (spread == SharedCost.Spread.WEIGHTS) {
        throw new PriceBookException(
            source + ": key '" + key + "': give the weights as {weights: {namespace: number}}");
      }
      return new SharedCost(namespace, spread, Map.of());
    }
    if (!(spec instanceof Map<?, ?> map)) {
      throw new PriceBookException(
          source + ": key '" + key + "': proportional, even or {weights: {namespace: number}}");
    }
    for (Object k : map.keySet()) {
      if (!"weights".equals(k)) {
        throw new PriceBookException(source + ": unknown key '" + key + "." + k + "'");
      }
    }
    if (!(map.get("weights") instanceof Map<?, ?> given) || given.isEmpty()) {
      throw new PriceBookException(
          source + ": key '" + key + ".weights': a map of tenant namespace to weight");
    }
    Map<String, BigDecimal> weights = new TreeMap<>();
    BigDecimal sum = BigDecimal.ZERO;
    for (Map.Entry<?, ?> w : given.entrySet()) {
      String wkey = key + ".weights." + w.getKey();
      BigDecimal weight;
      try {
        weight = new BigDecimal(String.valueOf(w.getValue()));
      } catch (NumberFormatException e) {
        throw new PriceBookException(
            source + ": key '" + wkey + "': '" + w.getValue() + "' is not a number");
      }
      if (weight.signum() < 0) {
        throw new PriceBookException(source + ": key '" + wkey + "': must not be negative");
      }
      weights.put(String.valueOf(w.getKey()), weight);
      sum = sum.add(weight);
    }
    if (sum.signum() == 0) {
      throw new PriceBookException(
          source + ": key '" + key + ".weights': at least one weight must be positive");
    }
    return new SharedCost(namespace, SharedCost.Spread.WEIGHTS, weights);
  }

  private static void checkPrices(Prices p, String source, String at, boolean complete) {
    Object[][] fields = {
      {"cpuCoreHour", p.cpuCoreHour()},
      {"memoryGibHour", p.memoryGibHour()},
      {"networkReceiveGib", p.networkReceiveGib()},
      {"networkTransmitGib", p.networkTransmitGib()},
      {"storageGibHour", p.storageGibHour()},
    };
    for (Object[] f : fields) {
      BigDecimal value = (BigDecimal) f[1];
      if (value == null && complete) {
        throw new PriceBookException(source + ": key '" + at + f[0] + "': missing");
      }
      if (value != null && value.signum() < 0) {
        throw new PriceBookException(source + ": key '" + at + f[0] + "': must not be negative");
      }
    }
    namedPrices(
        p.storageClassGibHour(),
        "[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?",
        "a StorageClass name",
        source,
        at + "storageClassGibHour.");
    // GPUs are optional: a book without them bills no GPU.
    if (p.gpuHour() != null && p.gpuHour().signum() < 0) {
      throw new PriceBookException(source + ": key '" + at + "gpuHour': must not be negative");
    }
    namedPrices(
        p.migHour(),
        "([0-9]+c\\.)?[0-9]+g\\.[0-9]+gb(\\+[a-z]+)?",
        "a MIG profile (such as 1g.10gb, 3g.40gb, 1g.10gb+me)",
        source,
        at + "migHour.");
  }

  /** Prices by name ({@code migHour}, {@code storageClassGibHour}): names that fit, no negative. */
  private static void namedPrices(
      Map<String, BigDecimal> prices, String pattern, String what, String source, String at) {
    if (prices == null) {
      return;
    }
    prices.forEach(
        (name, price) -> {
          if (!name.matches(pattern)) {
            throw new PriceBookException(
                source + ": key '" + at + name + "': '" + name + "' is not " + what);
          }
          if (price == null || price.signum() < 0) {
            throw new PriceBookException(
                source + ": key '" + at + name + "': must be a price, not negative");
          }
        });
  }

  private static void fraction(BigDecimal value, String source, String key) {
    if (value.signum() < 0 || value.compareTo(BigDecimal.ONE) > 0) {
      throw new PriceBookException(
          source + ": key '" + key + "': must be a fraction between 0 and 1 (0.1 = 10 %)");
    }
  }

  private static <E extends Enum<E>> E choice(
      Class<E> type, String value, E fallback, String source, String key) {
    if (value == null) {
      return fallback;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    throw new PriceBookException(
        source + ": key '" + key + "': '" + value + "' is not one of " + String.join(", ", names));
  }

  private static <T> T require(T value, String source, String key) {
    if (value == null) {
      throw new PriceBookException(source + ": key '" + key + "': missing");
    }
    return value;
  }
}
