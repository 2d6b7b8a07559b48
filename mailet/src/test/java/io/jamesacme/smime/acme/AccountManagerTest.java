package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;

class AccountManagerTest {
    @TempDir
    Path storage;

    @Test
    void accountKeyIsReusedAfterRestart() throws Exception {
        AccountManager first = new AccountManager(configuration());
        AccountManager second = new AccountManager(configuration());

        assertThat(second.keyPair().getPublic()).isEqualTo(first.keyPair().getPublic());
        assertThat(second.keyPair().getPrivate()).isEqualTo(first.keyPair().getPrivate());
    }

    @Test
    void accountKeyFileIsPrivate() throws Exception {
        new AccountManager(configuration()).keyPair();

        Path keyFile = storage.resolve("account/account-key.pem");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
            .isEqualTo("rw-------");
    }

    private AcmeSmimeConfiguration configuration() {
        return AcmeSmimeConfiguration.from(new MapConfiguration(Map.of(
                AcmeSmimeConfiguration.DIRECTORY, "https://127.0.0.1:9/directory",
                AcmeSmimeConfiguration.STORAGE_DIRECTORY, storage.toString(),
                AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:UNUSED")),
            storage, name -> Optional.empty());
    }
}
