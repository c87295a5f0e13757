package dev.chargeback.meter.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loads {@link ChargebackConfig}: built-in defaults, then {@code --config FILE} (YAML), then {@code
 * CHARGEBACK_*} environment variables, then flags. A flag is a key in kebab case ({@code
 * --scrape-interval 30s}, {@code --billing.time-zone Asia/Seoul}); {@code --target} adds to {@code
 * targets}. Flags a role handles itself (e.g. {@code --ns}) are returned separately.
 */
public final class ConfigLoader {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .registerModule(new SimpleModule().addDeserializer(Duration.class, new DurationReader()));

  /** A configuration and the role-specific flags beside it. */
  public record Loaded(ChargebackConfig config, Map<String, String> roleFlags) {}

  private ConfigLoader() {}

  /**
   * @param args the flags after the role name
   * @param roleFlags names (without dashes) of flags the role reads itself
   * @param env the environment, usually {@code System.getenv()}
   */
  public static Loaded load(List<String> args, Set<String> roleFlags, Map<String, String> env) {
    ObjectNode tree = defaults();
    Map<String, String> extras = new LinkedHashMap<>();
    List<String[]> flags = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
        throw new ConfigException("unexpected argument '" + arg + "' (flags are --key value)");
      }
      String name = arg.replaceFirst("^--?", "");
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new ConfigException("flag --" + name + " needs a value");
      }
      if (roleFlags.contains(name)) {
        extras.put(name, value);
      } else if (name.equals("config")) {
        merge(tree, readFile(Path.of(value)));
      } else {
        flags.add(new String[] {name, value});
      }
    }
    applyEnvironment(tree, env);
    boolean targetsFromFlags = false;
    for (String[] flag : flags) {
      String key = flag[0].equals("target") ? "targets" : camelPath(flag[0]);
      if (key.equals("targets")) {
        if (!targetsFromFlags) {
          tree.putArray("targets");
          targetsFromFlags = true;
        }
        ((ArrayNode) tree.get("targets")).add(flag[1]);
      } else {
        set(tree, key, flag[1], "--" + flag[0]);
      }
    }
    return new Loaded(bind(tree), extras);
  }

  private static ObjectNode defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("defaults.yaml")) {
      return (ObjectNode) YAML.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("built-in defaults are missing", e);
    }
  }

  private static JsonNode readFile(Path file) {
    try {
      JsonNode node = YAML.readTree(Files.readString(file));
      if (node == null || node.isMissingNode() || node.isNull()) {
        return YAML.createObjectNode();
      }
      if (!node.isObject()) {
        throw new ConfigException("config file " + file + ": expected a YAML mapping of keys");
      }
      return node;
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException e) {
      String reason =
          e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new ConfigException("config file " + file + " is not valid YAML: " + reason, e);
    }
  }

  private static void merge(ObjectNode into, JsonNode from) {
    from.properties()
        .forEach(
            e -> {
              JsonNode existing = into.get(e.getKey());
              if (existing instanceof ObjectNode o && e.getValue().isObject()) {
                merge(o, e.getValue());
              } else {
                into.set(e.getKey(), e.getValue());
              }
            });
  }

  /**
   * CHARGEBACK_SCRAPE_INTERVAL → scrapeInterval, CHARGEBACK_BILLING_TIME_ZONE → billing.timeZone.
   */
  private static void applyEnvironment(ObjectNode tree, Map<String, String> env) {
    Map<String, String> byEnvName = new LinkedHashMap<>();
    collectKeys(defaults(), "", byEnvName);
    for (Map.Entry<String, String> e : byEnvName.entrySet()) {
      String value = env.get(e.getKey());
      if (value == null) {
        continue;
      }
      if (e.getValue().equals("targets")) {
        ArrayNode list = tree.putArray("targets");
        for (String t : value.split(",")) {
          if (!t.isBlank()) {
            list.add(t.strip());
          }
        }
      } else {
        set(tree, e.getValue(), value, e.getKey());
      }
    }
  }

  private static void collectKeys(JsonNode node, String prefix, Map<String, String> out) {
    node.properties()
        .forEach(
            e -> {
              String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
              if (e.getValue().isObject()) {
                collectKeys(e.getValue(), key, out);
              } else {
                out.put(
                    "CHARGEBACK_"
                        + key.replaceAll("([a-z])([A-Z])", "$1_$2")
                            .replace('.', '_')
                            .toUpperCase(Locale.ROOT),
                    key);
              }
            });
  }

  private static String camelPath(String kebab) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : kebab.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  private static void set(ObjectNode tree, String path, String value, String source) {
    String[] parts = path.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (!(child instanceof ObjectNode o)) {
        throw new ConfigException("unknown config key '" + path + "' (from " + source + ")");
      }
      node = o;
    }
    String leaf = parts[parts.length - 1];
    if (!node.has(leaf)) {
      throw new ConfigException("unknown config key '" + path + "' (from " + source + ")");
    }
    if (node.get(leaf).isArray()) {
      // A list from one string: comma-separated (e.g. --kubernetes.namespace-labels team,owner).
      ArrayNode list = node.putArray(leaf);
      for (String item : value.split(",")) {
        if (!item.isBlank()) {
          list.add(item.strip());
        }
      }
    } else {
      node.put(leaf, value);
    }
  }

  private static ChargebackConfig bind(ObjectNode tree) {
    try {
      return YAML.treeToValue(tree, ChargebackConfig.class).validate();
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("unknown config key '" + path(e) + "'");
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof ConfigException c) {
        throw c;
      }
      throw new ConfigException(
          "config key '" + path(e) + "': " + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (IOException e) {
      throw new ConfigException("configuration: " + e.getMessage(), e);
    }
  }

  /** The dotted key path of a Jackson mapping error, e.g. {@code versions[0].prices}. */
  public static String path(JsonMappingException e) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(r.getFieldName());
      } else {
        out.append('[').append(r.getIndex()).append(']');
      }
    }
    return out.toString();
  }

  /** Reads "30s"-style durations, naming the key on error. */
  private static final class DurationReader extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      // The key's whole path (billing.closeAfter, retention.hourly), as errors name keys.
      StringBuilder key = new StringBuilder();
      for (JsonStreamContext c = p.getParsingContext(); c != null; c = c.getParent()) {
        if (c.getCurrentName() != null) {
          key.insert(0, key.isEmpty() ? c.getCurrentName() : c.getCurrentName() + ".");
        }
      }
      return Durations.parse(key.isEmpty() ? "?" : key.toString(), p.getValueAsString(""));
    }
  }
}
