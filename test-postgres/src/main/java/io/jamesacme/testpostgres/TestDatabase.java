package io.jamesacme.testpostgres;

/**
 * How to reach one test schema: a JDBC URL that selects the schema, and the credentials.
 *
 * @param jdbcUrl the JDBC URL, with {@code currentSchema} set
 * @param user the database user
 * @param password the user's password; test-only, never a production secret
 */
public record TestDatabase(String jdbcUrl, String user, String password) {
    @Override
    public String toString() {
        return "TestDatabase[jdbcUrl=" + jdbcUrl + ", user=" + user + "]";
    }
}
