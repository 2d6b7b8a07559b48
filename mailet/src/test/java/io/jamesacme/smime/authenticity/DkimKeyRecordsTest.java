package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;

class DkimKeyRecordsTest {
    private static final String RECORD = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA";

    @TempDir
    Path folder;

    private Path keyFile(String content) throws Exception {
        Path file = folder.resolve("dkim-keys.txt");
        Files.writeString(file, content);
        return file;
    }

    @Test
    void fileReturnsRecordOfName() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test " + RECORD + "\n"));

        assertThat(keys.getRecords("dns/txt", "acme", "ca.test")).containsExactly(RECORD);
    }

    @Test
    void fileSkipsCommentsAndBlankLines() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(String.join("\n",
            "# DKIM keys of the lab CA",
            "",
            "   # indented comment",
            "acme._domainkey.ca.test " + RECORD,
            "")));

        assertThat(keys.getRecords("dns/txt", "acme", "ca.test")).containsExactly(RECORD);
        assertThatThrownBy(() -> keys.getRecords("dns/txt", "#", "ca.test"))
            .isInstanceOf(PermFailException.class);
    }

    @Test
    void fileNamesAreCaseInsensitive() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "Acme._DomainKey.CA.Test " + RECORD + "\n"));

        assertThat(keys.getRecords("dns/txt", "ACME", "ca.TEST")).containsExactly(RECORD);
    }

    @Test
    void fileAcceptsTabAfterName() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test\t" + RECORD + "\n"));

        assertThat(keys.getRecords("dns/txt", "acme", "ca.test")).containsExactly(RECORD);
    }

    @Test
    void fileStripsValue() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test    " + RECORD + "   \r\n"));

        assertThat(keys.getRecords("dns/txt", "acme", "ca.test")).containsExactly(RECORD);
    }

    @Test
    void fileWithoutNameIsPermFail() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test " + RECORD + "\n"));

        assertThatThrownBy(() -> keys.getRecords("dns/txt", "other", "ca.test"))
            .isInstanceOf(PermFailException.class)
            .hasMessageContaining("other._domainkey.ca.test");
    }

    @Test
    void fileTempFailValueIsTempFail() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test " + DkimKeyRecords.TEMPORARY_FAILURE + "\n"));

        assertThatThrownBy(() -> keys.getRecords("dns/txt", "acme", "ca.test"))
            .isInstanceOf(TempFailException.class)
            .hasMessageContaining("acme._domainkey.ca.test");
    }

    @Test
    void fileMalformedLineNamesFile() throws Exception {
        Path file = keyFile("acme._domainkey.ca.test " + RECORD + "\nlonely-name\n");

        assertThatThrownBy(() -> DkimKeyRecords.file(file))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining(file.toString())
            .hasMessageContaining("lonely-name");
    }

    @Test
    void fileMissingNamesFile() {
        Path file = folder.resolve("absent.txt");

        assertThatThrownBy(() -> DkimKeyRecords.file(file))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining(file.toString());
    }

    @Test
    void fileRejectsOtherQueryMethod() throws Exception {
        PublicKeyRecordRetriever keys = DkimKeyRecords.file(keyFile(
            "acme._domainkey.ca.test " + RECORD + "\n"));

        assertThatThrownBy(() -> keys.getRecords("https", "acme", "ca.test"))
            .isInstanceOf(PermFailException.class)
            .hasMessageContaining("https");
    }

    @Test
    void dnsQueriesDomainKeyName() throws Exception {
        FakeDnsService dns = new FakeDnsService(name -> List.of(RECORD));

        List<String> records = DkimKeyRecords.dns(dns).getRecords("DNS/TXT", "Acme", "CA.test");

        assertThat(records).containsExactly(RECORD);
        assertThat(dns.queried).containsExactly("acme._domainkey.ca.test");
    }

    @Test
    void dnsReturnsAllRecords() throws Exception {
        FakeDnsService dns = new FakeDnsService(name -> List.of("v=spf1 -all", RECORD));

        assertThat(DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .containsExactly("v=spf1 -all", RECORD);
    }

    @Test
    void dnsJoinsQuotedStringsOfDnsJavaService() throws Exception {
        // James' DNSJavaService returns TXTRecord.rdataToString(): quoted strings, space-separated.
        String half = RECORD.substring(0, 20);
        String rest = RECORD.substring(20);
        String zoneForm = new TXTRecord(Name.fromString("acme._domainkey.ca.test."), DClass.IN, 300,
            List.of(half, rest)).rdataToString();
        assertThat(zoneForm).startsWith("\"").contains("\" \"");
        FakeDnsService dns = new FakeDnsService(name -> List.of(zoneForm));

        assertThat(DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .containsExactly(RECORD);
    }

    @Test
    void dnsUnescapesQuotedString() throws Exception {
        FakeDnsService dns = new FakeDnsService(name -> List.of("\"v=DKIM1; n=say \\\"hi\\\"\\059 ok\""));

        assertThat(DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .containsExactly("v=DKIM1; n=say \"hi\"; ok");
    }

    @Test
    void dnsKeepsUnterminatedQuoteAsIs() throws Exception {
        FakeDnsService dns = new FakeDnsService(name -> List.of("\"v=DKIM1; p=abc"));

        assertThat(DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .containsExactly("\"v=DKIM1; p=abc");
    }

    @Test
    void dnsWithoutRecordIsPermFail() {
        FakeDnsService dns = new FakeDnsService(name -> List.of());

        assertThatThrownBy(() -> DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .isInstanceOf(PermFailException.class)
            .hasMessageContaining("acme._domainkey.ca.test");
    }

    @Test
    void dnsNullAnswerIsPermFail() {
        FakeDnsService dns = new FakeDnsService(name -> null);

        assertThatThrownBy(() -> DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .isInstanceOf(PermFailException.class);
    }

    @Test
    void dnsFailureIsTempFail() {
        FakeDnsService dns = new FakeDnsService(name -> {
            throw new IllegalStateException("resolver timed out");
        });

        assertThatThrownBy(() -> DkimKeyRecords.dns(dns).getRecords("dns/txt", "acme", "ca.test"))
            .isInstanceOf(TempFailException.class)
            .hasMessageContaining("acme._domainkey.ca.test")
            .hasMessageContaining("resolver timed out");
    }

    @Test
    void dnsRejectsOtherQueryMethod() {
        FakeDnsService dns = new FakeDnsService(name -> List.of(RECORD));

        assertThatThrownBy(() -> DkimKeyRecords.dns(dns).getRecords("https", "acme", "ca.test"))
            .isInstanceOf(PermFailException.class);
        assertThat(dns.queried).isEmpty();
    }
}
