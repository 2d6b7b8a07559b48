package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/**
 * James with {@code storage.type=postgresql} on a throwaway PostgreSQL: the packaged driver,
 * HikariCP and Flyway load from {@code extensions-jars/} beside James' own classpath, the schema
 * is migrated at start, and the challenge claim of a DKIM-signed order lands in the database.
 */
class PostgresStorageIT {

    @RegisterExtension
    static final PostgresTestServer POSTGRES = new PostgresTestServer();

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;

    @Test
    void orderCompletesWithItsClaimInPostgresql() throws Exception {
        TestDatabase database = POSTGRES.newSchema();
        Path work = LabDirectories.fresh("postgres-storage");
        Path passwordFile = work.resolve("database-password.txt");
        Files.writeString(passwordFile, database.password() + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));

        try (AcmeLab lab = AcmeLab.builder(work)
                .acmeSetting("storage.type", "postgresql")
                .acmeSetting("storage.postgresql.url", database.jdbcUrl())
                .acmeSetting("storage.postgresql.user", database.user())
                .acmeSetting("storage.postgresql.password.source", "file:" + passwordFile)
                .start()) {
            lab.webAdmin().createDomain(DOMAIN);
            lab.webAdmin().createUser(ALICE, "alice-password");

            lab.awaitValidCertificate(ALICE, Duration.ofSeconds(120));

            assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(Files.readString(lab.james().workingDirectory().logFile()))
                    .contains("state in PostgreSQL");
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_challenge_claims"))
                    .isEqualTo(1);
        }
    }
}
