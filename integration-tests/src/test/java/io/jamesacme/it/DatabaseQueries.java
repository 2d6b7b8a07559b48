package io.jamesacme.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/** Reads the extension's tables in a test database, for checks of the state a test left. */
final class DatabaseQueries {

    private DatabaseQueries() {
    }

    /** Returns the first column of every row of {@code sql}, with {@code parameters} bound in order. */
    static List<String> strings(TestDatabase database, String sql, String... parameters) throws SQLException {
        try (Connection connection = PostgresTestServer.connect(database);
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            List<String> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        }
    }

    /** Returns the integer in the first column of the first row, such as a {@code count(*)}. */
    static int integer(TestDatabase database, String sql, String... parameters) throws SQLException {
        return Integer.parseInt(strings(database, sql, parameters).get(0));
    }
}
