package dev.chargeback.exporter.admin;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;

/**
 * The fields of an admin request's JSON object, read one by one: an unknown field, a value of the
 * wrong type or a missing required one is an {@link AdminRequestException} naming the field, never
 * a parser's message (which would carry class names).
 */
final class AdminFields {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ObjectNode body;

  private AdminFields(ObjectNode body) {
    this.body = body;
  }

  /** Parses {@code text} as a JSON object with no fields but {@code known}. */
  static AdminFields parse(String text, Set<String> known) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new AdminRequestException(
          400,
          "the body is not JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }
    if (!(node instanceof ObjectNode object)) {
      throw new AdminRequestException(400, "the body must be a JSON object");
    }
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw AdminRequestException.badField(
            name.length() > 64 ? name.substring(0, 64) + "…" : name,
            "unknown (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
    return new AdminFields(object);
  }

  /** A string field, or null when absent, null or empty. */
  String optionalString(String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw AdminRequestException.badField(field, "must be a string");
    }
    return v.asText().isEmpty() ? null : v.asText();
  }

  /** A string field that must be present and not empty. */
  String requiredString(String field) {
    String v = optionalString(field);
    if (v == null) {
      throw AdminRequestException.badField(field, "missing");
    }
    return v;
  }

  /** A boolean field, {@code fallback} when absent. */
  boolean bool(String field, boolean fallback) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw AdminRequestException.badField(field, "must be true or false");
    }
    return v.asBoolean();
  }
}
