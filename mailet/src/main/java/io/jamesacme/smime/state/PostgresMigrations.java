package io.jamesacme.smime.state;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flyway migrations of the PostgreSQL state store: the SQL files under
 * {@code db/acme-smime/postgresql} in this jar, with their history in the table
 * {@code acme_smime_schema_history}.
 */
final class PostgresMigrations {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresMigrations.class);
    private static final String LOCATION = "classpath:db/acme-smime/postgresql";
    private static final String HISTORY_TABLE = "acme_smime_schema_history";

    private PostgresMigrations() {
    }

    /**
     * Applies the pending migrations and returns the schema version. Flyway finds its
     * PostgreSQL support with ServiceLoader in the class loader it is given. It gets this
     * extension's loader because James' context class loader cannot see extensions-jars/.
     */
    static String migrate(DataSource dataSource, String name) {
        Flyway flyway = Flyway.configure(PostgresMigrations.class.getClassLoader())
            .dataSource(dataSource)
            .locations(LOCATION)
            .table(HISTORY_TABLE)
            .failOnMissingLocations(true)
            .cleanDisabled(true)
            .load();
        try {
            MigrateResult result = flyway.migrate();
            if (result.migrationsExecuted > 0) {
                LOGGER.info("Migrated the schema of {} from version {} to {}", name,
                    result.initialSchemaVersion == null ? "none" : result.initialSchemaVersion,
                    result.targetSchemaVersion);
            }
            // When the result names no target version, the one found at the start is current.
            if (result.targetSchemaVersion != null) {
                return result.targetSchemaVersion;
            }
            return result.initialSchemaVersion;
        } catch (FlywayException e) {
            throw new StateStoreException(name + ": schema migration failed: " + e.getMessage(), e);
        }
    }
}
