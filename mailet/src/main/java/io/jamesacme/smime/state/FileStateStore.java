package io.jamesacme.smime.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.state.FileRecords.Claim;
import io.jamesacme.smime.state.FileRecords.Lease;

/**
 * A {@link StateStore} in a folder of small files, the embedded default for a single James
 * node. Several processes may open the same local folder, because each operation holds an
 * exclusive file lock on {@code <folder>/.lock}, which the OS releases when a process dies.
 *
 * <p>Each record is one file, listed in {@link FileStoreLayout}. A write replaces its file
 * atomically (temporary file, fsync, rename, fsync of the folder), so a crash leaves the old or
 * the new record. Files are created with mode 0600 where the file system has POSIX
 * permissions, because the account and some orders contain private keys. Opening the store
 * deletes leftover temporary files and moves damaged records aside (see
 * {@link FileStoreRecovery}).
 *
 * <p>NOTE: the lock relies on {@link java.nio.channels.FileChannel#lock()}. On NFS that works
 * only where the server and client support locking, so several nodes should share the
 * PostgreSQL store instead of one folder.
 */
public final class FileStateStore implements StateStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(FileStateStore.class);

    private final FileStoreLayout layout;
    private final FileRecordIo io;
    private final FileStoreLock lock;
    private final FileOrders orders;
    private volatile boolean closed;

    private FileStateStore(FileStoreLayout layout, FileRecordIo io, FileStoreLock lock) {
        this.layout = layout;
        this.io = io;
        this.lock = lock;
        this.orders = new FileOrders(layout, io);
    }

    /**
     * Opens the store in {@code directory}, creating the folder (mode 0700) if needed, and
     * repairs what a crash left behind.
     *
     * @throws StateStoreException when the folder cannot be created, locked or read
     */
    public static FileStateStore open(Path directory) {
        Path absolute = directory.toAbsolutePath().normalize();
        try {
            Path existing = absolute;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                throw new StateStoreException("Cannot open the state store " + absolute
                    + ": no parent folder exists");
            }
            FileRecordIo io = FileRecordIo.forFolder(existing);
            io.createFolder(absolute);
            Path root = absolute.toRealPath();
            FileStateStore store = new FileStateStore(new FileStoreLayout(root), io,
                new FileStoreLock(root, io.fileAttributes()));
            store.recover();
            return store;
        } catch (IOException e) {
            throw new StateStoreException("Cannot open the state store " + absolute + ": " + e, e);
        }
    }

    private void recover() throws IOException {
        FileStoreRecovery.Summary summary = lock.call(() ->
            new FileStoreRecovery(layout, io, orders).run(Instant.now()));
        LOGGER.info("Opened the state store {}: {} orders, {} active, {} temporary files deleted,"
                + " {} address indexes rebuilt", layout.root(), summary.orders(),
            summary.activeOrders(), summary.temporaryFilesDeleted(), summary.indexesRepaired());
    }

    @Override
    public Optional<AccountRecord> account() {
        return locked("read the account", this::readAccount);
    }

    @Override
    public AccountRecord createAccountIfAbsent(AccountRecord candidate) {
        Objects.requireNonNull(candidate, "candidate");
        return locked("create the account", () -> {
            Optional<AccountRecord> stored = readAccount();
            if (stored.isPresent()) {
                return stored.get();
            }
            writeAccount(candidate);
            return candidate;
        });
    }

    @Override
    public void replaceAccount(AccountRecord expected, AccountRecord replacement) {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(replacement, "replacement");
        locked("replace the account", () -> {
            Optional<AccountRecord> stored = readAccount();
            if (!stored.equals(Optional.of(expected))) {
                String found = stored.map(Object::toString).orElse("none");
                throw new StateStoreException("Cannot replace the account in the state store "
                    + layout.root() + ": the stored account (" + found
                    + ") is not the expected one. Read it again.");
            }
            writeAccount(replacement);
            return null;
        });
    }

    @Override
    public Optional<OrderRecord> createOrder(String id, String address, Instant now) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(now, "now");
        if (!FileStoreLayout.isValidOrderId(Objects.requireNonNull(id, "id"))) {
            throw new IllegalArgumentException("Invalid order id '" + id + "': expected "
                + FileStoreLayout.ORDER_ID.pattern());
        }
        return locked("create an order for " + address, () -> orders.create(id, address, now));
    }

    @Override
    public Optional<OrderRecord> order(String id) {
        Objects.requireNonNull(id, "id");
        return locked("read order " + id, () -> orders.read(id));
    }

    @Override
    public Optional<OrderRecord> activeOrder(String address) {
        return latestOrder(address).filter(order -> order.state().isActive());
    }

    @Override
    public Optional<OrderRecord> latestOrder(String address) {
        Objects.requireNonNull(address, "address");
        return locked("read the orders of " + address, () -> orders.latest(address));
    }

    @Override
    public Optional<OrderRecord> latestStoredOrder(String address) {
        Objects.requireNonNull(address, "address");
        return locked("read the stored order of " + address, () -> orders.latestStored(address));
    }

    @Override
    public List<OrderRecord> orders(String address) {
        Objects.requireNonNull(address, "address");
        return locked("list the orders of " + address, () -> orders.ofAddress(address));
    }

    @Override
    public List<OrderRecord> activeOrders() {
        return locked("list the active orders", orders::active);
    }

    @Override
    public OrderRecord update(OrderRecord record) {
        Objects.requireNonNull(record, "record");
        return locked("update order " + record.id(), () -> orders.update(record));
    }

    @Override
    public boolean claimChallenge(String challengeUrl, String claimant, Instant now) {
        Objects.requireNonNull(challengeUrl, "challengeUrl");
        Objects.requireNonNull(claimant, "claimant");
        Objects.requireNonNull(now, "now");
        return locked("claim the challenge " + challengeUrl, () -> {
            Path file = layout.claim(challengeUrl);
            // Any file under this name is a claim, a damaged one too, so it is never read here.
            if (Files.exists(file)) {
                return false;
            }
            io.write(file, "james-acme-smime challenge claim",
                FileRecords.claim(new Claim(challengeUrl, claimant, now)));
            return true;
        });
    }

    @Override
    public boolean isChallengeClaimed(String challengeUrl) {
        Objects.requireNonNull(challengeUrl, "challengeUrl");
        return locked("read the claim of " + challengeUrl,
            () -> Files.exists(layout.claim(challengeUrl)));
    }

    @Override
    public boolean acquireLease(String name, String owner, Duration ttl, Instant now) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(now, "now");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("Invalid lease duration " + ttl
                + ": expected a positive one");
        }
        return locked("acquire the lease " + name, () -> {
            Path file = layout.lease(name);
            Optional<Lease> current = io.read(file, FileRecords::lease);
            boolean free = current.isEmpty() || current.get().owner().equals(owner)
                || !now.isBefore(current.get().expiresAt());
            if (!free) {
                return false;
            }
            Lease taken = new Lease(name, owner, now.plus(ttl));
            io.write(file, "james-acme-smime lease", FileRecords.lease(taken));
            return true;
        });
    }

    @Override
    public void releaseLease(String name, String owner) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        locked("release the lease " + name, () -> {
            Path file = layout.lease(name);
            Optional<Lease> current = io.read(file, FileRecords::lease);
            if (current.isPresent() && current.get().owner().equals(owner)) {
                io.delete(file);
            }
            return null;
        });
    }

    /** Marks the store closed. It keeps no file open between operations. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "FileStateStore[" + layout.root() + "]";
    }

    private Optional<AccountRecord> readAccount() throws IOException {
        return io.read(layout.account(), FileRecords::account);
    }

    private void writeAccount(AccountRecord account) throws IOException {
        io.write(layout.account(), "james-acme-smime ACME account", FileRecords.account(account));
    }

    private <T> T locked(String operation, FileStoreLock.Action<T> action) {
        if (closed) {
            throw new StateStoreException("Cannot " + operation + ": the state store "
                + layout.root() + " is closed");
        }
        try {
            return lock.call(action);
        } catch (IOException e) {
            throw new StateStoreException("Cannot " + operation + " in the state store "
                + layout.root() + ": " + e, e);
        }
    }
}
