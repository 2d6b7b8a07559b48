package io.jamesacme.smime.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * SQL and row mapping of the table {@code acme_smime_account}, whose single row has the id 1.
 * Every method runs one statement on the given connection.
 */
final class PostgresAccountTable {
    private static final String COLUMNS = "private_key, public_key, account_url, created_at, new_private_key,"
        + " new_public_key, new_key_created_at";

    private PostgresAccountTable() {
    }

    static Optional<AccountRecord> select(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
            "SELECT " + COLUMNS + " FROM acme_smime_account WHERE id = 1");
             ResultSet rows = select.executeQuery()) {
            if (!rows.next()) {
                return Optional.empty();
            }
            return Optional.of(new AccountRecord(rows.getBytes("private_key"), rows.getBytes("public_key"),
                Optional.ofNullable(rows.getString("account_url")),
                PostgresOrderTable.getInstant(rows, "created_at"),
                Optional.ofNullable(rows.getBytes("new_private_key")),
                Optional.ofNullable(rows.getBytes("new_public_key")),
                Optional.ofNullable(PostgresOrderTable.getInstant(rows, "new_key_created_at"))));
        }
    }

    /** Inserts the account unless a row exists already. */
    static void insertIfAbsent(Connection connection, AccountRecord candidate) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO acme_smime_account (id, " + COLUMNS + ") VALUES (1, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (id) DO NOTHING")) {
            bind(insert, 1, candidate);
            insert.executeUpdate();
        }
    }

    /** Replaces the row if it still is {@code expected}, and returns the number of rows replaced. */
    static int replace(Connection connection, AccountRecord expected, AccountRecord replacement)
        throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
            "UPDATE acme_smime_account SET private_key = ?, public_key = ?, account_url = ?, created_at = ?,"
                + " new_private_key = ?, new_public_key = ?, new_key_created_at = ?"
                + " WHERE id = 1 AND private_key = ? AND public_key = ?"
                + " AND account_url IS NOT DISTINCT FROM ? AND created_at = ?"
                + " AND new_private_key IS NOT DISTINCT FROM ? AND new_public_key IS NOT DISTINCT FROM ?"
                + " AND new_key_created_at IS NOT DISTINCT FROM ?")) {
            bind(update, 1, replacement);
            bind(update, 8, expected);
            return update.executeUpdate();
        }
    }

    /** Binds the seven columns of {@link #COLUMNS} from {@code first} on. */
    private static void bind(PreparedStatement statement, int first, AccountRecord account) throws SQLException {
        statement.setBytes(first, account.privateKey());
        statement.setBytes(first + 1, account.publicKey());
        statement.setString(first + 2, account.accountUrl().orElse(null));
        PostgresOrderTable.setInstant(statement, first + 3, account.createdAt());
        statement.setBytes(first + 4, account.newPrivateKey().orElse(null));
        statement.setBytes(first + 5, account.newPublicKey().orElse(null));
        PostgresOrderTable.setInstant(statement, first + 6, account.newKeyCreatedAt().orElse(null));
    }
}
