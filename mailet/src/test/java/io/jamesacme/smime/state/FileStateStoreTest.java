package io.jamesacme.smime.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.state.FileRecords.AddressIndex;

/**
 * The contract tests on a {@link FileStateStore}, plus the file-specific behaviour: modes,
 * crash recovery and the JVM-wide lock. The cross-process test is in
 * {@link FileStateStoreProcessTest}.
 */
class FileStateStoreTest extends StateStoreContract {
    private static final String ALICE = "alice@example.test";

    @TempDir
    Path temporary;

    private Path folder;

    @Override
    protected StateStore createStore() {
        folder = temporary.resolve("state");
        return FileStateStore.open(folder);
    }

    @Override
    protected StateStore openSameStore() {
        return FileStateStore.open(folder);
    }

    @Test
    void newFilesAndFoldersAreOwnerOnly() throws Exception {
        assumeThat(Files.getFileStore(temporary).supportsFileAttributeView("posix")).isTrue();
        store.createAccountIfAbsent(account("first"));
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(order.withCertificateKey(new byte[] {1, 2, 3}, NOW));
        store.claimChallenge("https://ca.test/chall/1", "node-1", NOW);
        store.acquireLease("provisioning", "node-1", Duration.ofMinutes(1), NOW);

        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.toList();
        }

        assertThat(files).hasSizeGreaterThan(10);
        for (Path file : files) {
            String expected = Files.isDirectory(file) ? "rwx------" : "rw-------";
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .as("mode of %s", folder.relativize(file))
                .isEqualTo(expected);
        }
    }

    @Test
    void certificateKeyIsStoredAsBase64() throws Exception {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord withKey = store.update(order.withCertificateKey(new byte[] {1, 2, 3, (byte) 0xff}, NOW));

        String text = Files.readString(folder.resolve("orders/" + order.id() + ".properties"),
            StandardCharsets.ISO_8859_1);

        assertThat(text).contains("certificateKey=AQID/w\\=\\=");
        assertThat(withKey.toString()).doesNotContain("AQID");
        assertThat(store.toString()).isEqualTo("FileStateStore[" + folder.toRealPath() + "]");
    }

    @Test
    void everyRecordSurvivesReopen() throws Exception {
        AccountRecord account = store.createAccountIfAbsent(account("first").withAccountUrl("https://ca.test/acct/1"));
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord written = store.update(order.withOrderUrl("https://ca.test/order/1", NOW)
            .withChallenge("https://ca.test/chall/1", "token = part:2 #", "acme-ca@ca.test", NOW)
            .withCertificateChain("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", NOW)
            .failed("rate limited: \u00fcber \u4e2d", NOW.plusSeconds(60), NOW.plusSeconds(1)));
        store.claimChallenge("https://ca.test/chall/1", "node-1", NOW);
        store.acquireLease("provisioning", "node-1", Duration.ofMinutes(1), NOW);
        store.close();

        store = openSameStore();

        assertThat(store.account()).contains(account);
        assertThat(store.order(order.id())).contains(written);
        assertThat(store.latestOrder(ALICE)).contains(written);
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-2", NOW)).isFalse();
        assertThat(store.acquireLease("provisioning", "node-2", Duration.ofMinutes(1), NOW)).isFalse();
    }

    @Test
    void leftoverTemporaryFilesAreDeletedAtOpen() throws Exception {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.close();
        Path orderTemporary = folder.resolve("orders/." + order.id() + ".properties.123.tmp");
        Path accountTemporary = folder.resolve(".account.properties.456.tmp");
        Files.writeString(orderTemporary, "state=STOR");
        Files.writeString(accountTemporary, "");

        store = openSameStore();

        assertThat(orderTemporary).doesNotExist();
        assertThat(accountTemporary).doesNotExist();
        assertThat(store.order(order.id())).contains(order);
        assertThat(store.account()).isEmpty();
    }

    @Test
    void truncatedOrderIsQuarantinedAtOpen() throws Exception {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.close();
        Path file = folder.resolve("orders/" + order.id() + ".properties");
        byte[] content = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(content, content.length / 2));

        String log = captureLog(() -> store = openSameStore());

        assertThat(file).doesNotExist();
        assertThat(file.resolveSibling(file.getFileName() + ".corrupt")).exists();
        assertThat(log).contains("WARN").contains(file.toString());
        assertThat(store.order(order.id())).isEmpty();
        assertThat(store.activeOrder(ALICE)).isEmpty();
        assertThat(store.createOrder(id(), ALICE, NOW)).isPresent();
    }

    @Test
    void garbledAndEmptyFilesAreQuarantined() throws Exception {
        store.createAccountIfAbsent(account("first"));
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.acquireLease("provisioning", "node-1", Duration.ofMinutes(1), NOW);
        store.close();
        Path orderFile = folder.resolve("orders/" + order.id() + ".properties");
        byte[] content = Files.readAllBytes(orderFile);
        content[content.length / 2] ^= 0x01;
        Files.write(orderFile, content);
        Files.write(folder.resolve("account.properties"), new byte[0]);
        Path lease = single(folder.resolve("leases"));
        Files.write(lease, new byte[4096]);

        store = openSameStore();

        assertThat(folder.resolve("account.properties.corrupt")).exists();
        assertThat(orderFile.resolveSibling(orderFile.getFileName() + ".corrupt")).exists();
        assertThat(lease.resolveSibling(lease.getFileName() + ".corrupt")).exists();
        assertThat(store.account()).isEmpty();
        assertThat(store.order(order.id())).isEmpty();
        assertThat(store.acquireLease("provisioning", "node-2", Duration.ofMinutes(1), NOW)).isTrue();
    }

    @Test
    void secondQuarantineOfOneNameGetsANumber() throws Exception {
        Path accountFile = folder.resolve("account.properties");
        store.close();
        Files.writeString(accountFile, "damaged once");
        FileStateStore.open(folder).close();
        Files.writeString(accountFile, "damaged twice");

        store = openSameStore();

        assertThat(folder.resolve("account.properties.corrupt")).hasContent("damaged once");
        assertThat(folder.resolve("account.properties.1.corrupt")).hasContent("damaged twice");
    }

    @Test
    void invalidKeyIsQuarantinedWithoutLoggingIt() throws Exception {
        store.close();
        Properties fields = FileRecords.account(account("first"));
        fields.setProperty("privateKey", "secret-key-material!");
        Files.write(folder.resolve("account.properties"), FileRecordIo.encode("test", fields));

        String log = captureLog(() -> store = openSameStore());

        assertThat(folder.resolve("account.properties.corrupt")).exists();
        assertThat(log).contains("privateKey is not base64");
        assertThat(log).doesNotContain("secret-key-material");
        assertThat(store.account()).isEmpty();
    }

    @Test
    void damagedClaimStillBlocksItsChallenge() throws Exception {
        store.claimChallenge("https://ca.test/chall/1", "node-1", NOW);
        store.close();
        Path claim = single(folder.resolve("claims"));
        Files.writeString(claim, "challengeUrl=https\\://ca.test/ch");

        store = openSameStore();

        assertThat(claim.resolveSibling(claim.getFileName() + ".corrupt")).exists();
        assertThat(FileRecordIo.decode(Files.readAllBytes(claim))).containsEntry("claimant", "unknown");
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-2", NOW)).isFalse();
        assertThat(store.claimChallenge("https://ca.test/chall/2", "node-2", NOW)).isTrue();
    }

    @Test
    void damagedIndexIsRebuiltFromOrders() throws Exception {
        OrderRecord stored = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(stored.withState(OrderState.STORED, NOW));
        OrderRecord active = store.createOrder(id(), ALICE, NOW.plusSeconds(1)).orElseThrow();
        store.close();
        Path index = single(folder.resolve("addresses"));
        Files.writeString(index, "garbage");

        store = openSameStore();

        assertThat(index.resolveSibling(index.getFileName() + ".corrupt")).exists();
        assertThat(store.activeOrder(ALICE)).contains(active);
        assertThat(store.activeOrders()).containsExactly(active);
        assertThat(store.createOrder(id(), ALICE, NOW.plusSeconds(2))).isEmpty();
    }

    @Test
    void danglingIndexFallsBackToPrevious() throws Exception {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord stored = store.update(first.withState(OrderState.STORED, NOW));
        // The state of a crash between writing the index and writing the new order's file.
        Path index = single(folder.resolve("addresses"));
        AddressIndex dangling = new AddressIndex(ALICE, id(), Optional.of(first.id()), Optional.empty());
        Files.write(index, FileRecordIo.encode("test", FileRecords.addressIndex(dangling)));
        store.close();

        store = openSameStore();

        assertThat(store.latestOrder(ALICE)).contains(stored);
        assertThat(store.activeOrders()).isEmpty();
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(1)).orElseThrow();
        assertThat(store.latestOrder(ALICE)).contains(second);
    }

    @Test
    void storedOrderMissingFromIndexIsRepaired() throws Exception {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord stored = store.update(first.stored(NOW.plusSeconds(1)));
        // The state of a crash after the order became STORED and before the index named it.
        Path index = single(folder.resolve("addresses"));
        AddressIndex withoutStored = new AddressIndex(ALICE, first.id(), Optional.empty(), Optional.empty());
        Files.write(index, FileRecordIo.encode("test", FileRecords.addressIndex(withoutStored)));
        store.close();

        store = openSameStore();

        assertThat(store.latestStoredOrder(ALICE)).contains(stored);
        assertThat(store.latestOrder(ALICE)).contains(stored);
    }

    @Test
    void orderIdMustBeAFileName() {
        assertThatThrownBy(() -> store.createOrder("../account", ALICE, NOW))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("../account");
        assertThat(store.order("../account")).isEmpty();
        assertThat(store.order(".lock")).isEmpty();
    }

    @Test
    void duplicateOrderIdIsRejected() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();

        assertThatThrownBy(() -> store.createOrder(first.id(), "bob@example.test", NOW))
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining("exists");
        assertThat(store.latestOrder("bob@example.test")).isEmpty();
    }

    @Test
    void updateCannotChangeTheAddress() {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord moved = new OrderRecord(order.id(), "bob@example.test", order.state(),
            order.orderUrl(), order.challengeUrl(), order.tokenPart2(), order.challengeFrom(),
            order.certificateKey(), order.certificateChain(), order.failure(), order.retryAt(),
            order.attempts(), order.version(), order.createdAt(), order.updatedAt());

        assertThatThrownBy(() -> store.update(moved)).isInstanceOf(StateStoreException.class);
        assertThat(store.order(order.id())).contains(order);
    }

    @Test
    void closedStoreRejectsCalls() {
        store.close();

        assertThatThrownBy(() -> store.account())
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining("closed");
    }

    @Test
    void folderIsCreatedWithParents() {
        Path nested = temporary.resolve("a/b/c");

        try (StateStore other = FileStateStore.open(nested)) {
            assertThat(other.claimChallenge("https://ca.test/chall/1", "node-1", NOW)).isTrue();
        }
        assertThat(nested.resolve("claims")).isDirectory();
    }

    @Test
    void storeOnAFileFailsToOpen() throws Exception {
        Path file = Files.writeString(temporary.resolve("plain-file"), "x");

        assertThatThrownBy(() -> FileStateStore.open(file))
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining(file.toString());
    }

    @Test
    void symbolicLinkSharesTheJvmLock() throws Exception {
        Path link;
        try {
            link = Files.createSymbolicLink(temporary.resolve("link"), folder);
        } catch (UnsupportedOperationException | IOException e) {
            Assumptions.abort("This file system has no symbolic links: " + e);
            return;
        }

        List<Boolean> results = race(16, i -> {
            try (StateStore other = FileStateStore.open(i % 2 == 0 ? folder : link)) {
                return other.claimChallenge("https://ca.test/chall/1", "node-" + i, NOW);
            }
        });

        assertThat(results.stream().filter(won -> won)).hasSize(1);
    }

    private static Path single(Path folder) throws IOException {
        List<Path> files = FileRecordIo.records(folder);
        assertThat(files).hasSize(1);
        return files.get(0);
    }

    /**
     * Runs {@code action} and returns what slf4j-simple wrote meanwhile. slf4j-simple writes to
     * whatever {@link System#err} is at the time of each call.
     */
    private static String captureLog(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }
}
