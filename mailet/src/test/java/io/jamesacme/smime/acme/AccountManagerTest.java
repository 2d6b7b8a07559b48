package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.certificate.KeyPairEncoding;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.AccountRecord;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.StateStore;

class AccountManagerTest {
    @TempDir
    Path storage;

    @Test
    void accountKeyIsReusedAfterRestart() throws Exception {
        KeyPair first;
        try (StateStore store = FileStateStore.open(storage.resolve("state"))) {
            first = new AccountManager(configuration(), store, Clock.systemUTC()).keyPair();
        }
        try (StateStore store = FileStateStore.open(storage.resolve("state"))) {
            KeyPair second = new AccountManager(configuration(), store, Clock.systemUTC()).keyPair();

            assertThat(second.getPublic()).isEqualTo(first.getPublic());
            assertThat(second.getPrivate()).isEqualTo(first.getPrivate());
        }
    }

    @Test
    void nodesOnOneStoreShareTheKey() throws Exception {
        try (StateStore store = FileStateStore.open(storage.resolve("state"));
             StateStore other = FileStateStore.open(storage.resolve("state"))) {
            KeyPair first = new AccountManager(configuration(), store, Clock.systemUTC()).keyPair();
            KeyPair second = new AccountManager(configuration(), other, Clock.systemUTC()).keyPair();

            assertThat(second.getPublic()).isEqualTo(first.getPublic());
        }
    }

    @Test
    void legacyAccountFilesAreImported() throws Exception {
        KeyPair legacy = java.security.KeyPairGenerator.getInstance("EC").generateKeyPair();
        Path account = Files.createDirectories(storage.resolve("account"));
        Files.write(account.resolve("account-key.pem"), KeyPairEncoding.toPem(legacy));
        Files.writeString(account.resolve("account-url"), "https://ca.test/acct/7\n");

        try (StateStore store = FileStateStore.open(storage.resolve("state"))) {
            KeyPair imported = new AccountManager(configuration(), store, Clock.systemUTC()).keyPair();

            assertThat(imported.getPublic()).isEqualTo(legacy.getPublic());
            AccountRecord stored = store.account().orElseThrow();
            assertThat(stored.accountUrl()).contains("https://ca.test/acct/7");
            assertThat(stored.hasNewKey()).isFalse();
        }
    }

    private AcmeSmimeConfiguration configuration() {
        return AcmeSmimeConfiguration.from(new MapConfiguration(Map.of(
                AcmeSmimeConfiguration.DIRECTORY, "https://127.0.0.1:9/directory",
                AcmeSmimeConfiguration.STORAGE_DIRECTORY, storage.toString(),
                AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:UNUSED")),
            storage, name -> Optional.empty());
    }
}
