package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.config.PassphraseSource;

class CertificateFilesTest {
    /** RFC 5321 allows '/' in a dot-atom local part, and James' Username and MailAddress accept it. */
    private static final String SLASH_ADDRESS = "sales/eu@example.test";

    @TempDir
    Path storage;

    @Test
    void addressWithSlashStaysInFolder() throws Exception {
        new MailAddress(SLASH_ADDRESS);
        CertificateFiles files = new CertificateFiles(storage, PassphraseSource.parse(
            "pkcs12.passphrase.source", "env:UNUSED", storage, name -> Optional.empty()));
        Path folder = storage.resolve("certificates");

        assertThat(files.keyStore(SLASH_ADDRESS).getParent()).isEqualTo(folder);
        assertThat(files.chainFile(SLASH_ADDRESS).getParent()).isEqualTo(folder);
        assertThat(files.keyStore(SLASH_ADDRESS).getFileName().toString()).isEqualTo("sales%2Feu@example.test.p12");
    }

    @Test
    void fileNamesKeepUsualAddresses() {
        assertThat(CertificateFiles.fileName("alice.smith+tag@example.test")).isEqualTo("alice.smith+tag@example.test");
        assertThat(CertificateFiles.fileName(".hidden@example.test")).isEqualTo("%2Ehidden@example.test");
        assertThat(CertificateFiles.fileName("a%b@example.test")).isEqualTo("a%25b@example.test");
        assertThat(CertificateFiles.fileName("jörg@example.test")).isEqualTo("j%C3%B6rg@example.test");
    }
}
