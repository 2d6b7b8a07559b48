package io.jamesacme.smime.state;

import java.util.Objects;

/**
 * Connection settings of a {@link PostgresStateStore}.
 *
 * <p>The tables go into the first schema of the connection's {@code search_path}, which must
 * exist. A JDBC URL parameter such as {@code ?currentSchema=acme_smime} selects another one.
 *
 * @param jdbcUrl a PostgreSQL JDBC URL, {@code jdbc:postgresql://host:port/database}
 * @param user the database user
 * @param password the user's password, or empty when the server requires none; a secret
 * @param maxPoolSize the maximum number of connections this node keeps open, at least 1
 */
public record PostgresSettings(String jdbcUrl, String user, String password, int maxPoolSize) {
    private static final String URL_PREFIX = "jdbc:postgresql:";

    public PostgresSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!jdbcUrl.startsWith(URL_PREFIX)) {
            throw new IllegalArgumentException("Invalid PostgreSQL JDBC URL " + withoutParameters(jdbcUrl)
                + ": it must start with " + URL_PREFIX);
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("Invalid maxPoolSize " + maxPoolSize + ": it must be at least 1");
        }
    }

    /** Returns the JDBC URL without its parameters, which may carry a password, for messages. */
    public String safeUrl() {
        return withoutParameters(jdbcUrl);
    }

    @Override
    public String toString() {
        return "PostgresSettings[jdbcUrl=" + safeUrl() + ", user=" + user + ", password="
            + (password.isEmpty() ? "none" : "****") + ", maxPoolSize=" + maxPoolSize + "]";
    }

    private static String withoutParameters(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }
}
