package io.jamesacme.smime.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The location of the durable state: a folder of files for one James node, or a PostgreSQL
 * database that several nodes share.
 *
 * @param type the kind of store
 * @param fileDirectory the folder of the file store, {@code <storage.directory>/state}
 * @param postgresUrl the JDBC URL, for {@link Type#POSTGRESQL}
 * @param postgresUser the database user, for {@link Type#POSTGRESQL}
 * @param postgresPassword where the database password comes from, for {@link Type#POSTGRESQL}
 * @param postgresPoolSize the largest number of pooled connections
 */
public record StorageSettings(Type type, Path fileDirectory, Optional<String> postgresUrl,
                              Optional<String> postgresUser, Optional<PassphraseSource> postgresPassword,
                              int postgresPoolSize) {

    public static final String TYPE = "storage.type";
    public static final String POSTGRES_URL = "storage.postgresql.url";
    public static final String POSTGRES_USER = "storage.postgresql.user";
    public static final String POSTGRES_PASSWORD_SOURCE = "storage.postgresql.password.source";
    public static final String POSTGRES_POOL_SIZE = "storage.postgresql.pool-size";

    /** The kinds of store. */
    public enum Type {
        FILE, POSTGRESQL
    }

    static StorageSettings read(Function<String, Optional<String>> read, Path storageDirectory,
                                Path baseDirectory, Function<String, Optional<String>> environment,
                                int poolSize) {
        String typeValue = read.apply(TYPE).orElse("file").toLowerCase(Locale.ROOT);
        Type type = switch (typeValue) {
            case "file" -> Type.FILE;
            case "postgresql" -> Type.POSTGRESQL;
            default -> throw new InvalidConfigurationException(TYPE, typeValue, "expected file or postgresql");
        };
        Optional<String> url = read.apply(POSTGRES_URL);
        Optional<String> user = read.apply(POSTGRES_USER);
        Optional<PassphraseSource> password = read.apply(POSTGRES_PASSWORD_SOURCE)
            .map(value -> PassphraseSource.parse(POSTGRES_PASSWORD_SOURCE, value, baseDirectory, environment));
        if (type == Type.POSTGRESQL) {
            String jdbcUrl = url.orElseThrow(() -> InvalidConfigurationException.missing(POSTGRES_URL,
                "a JDBC URL such as jdbc:postgresql://db.example.com:5432/james, required when "
                    + TYPE + "=postgresql"));
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new InvalidConfigurationException(POSTGRES_URL, jdbcUrl,
                    "expected a URL that starts with jdbc:postgresql:");
            }
            if (user.isEmpty()) {
                throw InvalidConfigurationException.missing(POSTGRES_USER, "required when " + TYPE
                    + "=postgresql");
            }
            if (password.isEmpty()) {
                throw InvalidConfigurationException.missing(POSTGRES_PASSWORD_SOURCE,
                    "file:<path> or env:<VARIABLE>, required when " + TYPE + "=postgresql");
            }
        }
        return new StorageSettings(type, storageDirectory.resolve("state"), url, user, password, poolSize);
    }
}
