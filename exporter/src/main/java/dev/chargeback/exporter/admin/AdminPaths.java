package dev.chargeback.exporter.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The directories ({@code admin.directories}) whose files admin requests may name. Paths are
 * compared after resolving symbolic links and {@code ..}, so a link inside an allowed directory
 * cannot point outside it.
 */
final class AdminPaths {
  private final List<Path> allowed;
  private final String described;

  AdminPaths(List<String> directories) {
    this.allowed = directories.stream().map(AdminPaths::real).filter(Objects::nonNull).toList();
    this.described = String.join(", ", directories);
  }

  private static Path real(String dir) {
    try {
      return Path.of(dir).toRealPath();
    } catch (IOException e) {
      return null; // an allowed directory that does not exist allows nothing
    }
  }

  /** An existing regular file named by {@code field}, inside an allowed directory. */
  Path existingFile(String field, String value) {
    Path path = absolute(field, value);
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw AdminRequestException.badField(field, "no such file: " + value);
    }
    confine(field, value, real);
    if (!Files.isRegularFile(real) || !Files.isReadable(real)) {
      throw AdminRequestException.badField(field, "not a readable file: " + value);
    }
    return real;
  }

  /** A path that does not exist yet, in an existing directory inside an allowed directory. */
  Path newPath(String field, String value) {
    Path path = absolute(field, value).normalize();
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new AdminRequestException(409, "field '" + field + "': " + value + " already exists");
    }
    Path parent = path.getParent();
    Path real;
    try {
      real = parent.toRealPath().resolve(path.getFileName());
    } catch (IOException | NullPointerException e) {
      throw AdminRequestException.badField(field, "its directory does not exist: " + value);
    }
    confine(field, value, real);
    return real;
  }

  private static Path absolute(String field, String value) {
    Path path;
    try {
      path = Path.of(value);
    } catch (InvalidPathException e) {
      throw AdminRequestException.badField(field, "not a path");
    }
    if (!path.isAbsolute()) {
      throw AdminRequestException.badField(field, "must be an absolute path");
    }
    return path;
  }

  private void confine(String field, String value, Path real) {
    for (Path dir : allowed) {
      if (real.startsWith(dir) && !real.equals(dir)) {
        return;
      }
    }
    throw new AdminRequestException(
        403,
        "field '"
            + field
            + "': "
            + value
            + " is outside the directories admin requests may name (config key"
            + " 'admin.directories': "
            + described
            + ")");
  }
}
