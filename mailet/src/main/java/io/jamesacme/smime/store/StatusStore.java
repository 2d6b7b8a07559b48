package io.jamesacme.smime.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Keeps one status file per address under {@code <storage>/status/}. Writes go to a temporary
 * file that is synced and then moved over the old one, so a crash leaves the old or the new
 * status, never half of one.
 */
public class StatusStore {
    private final Path directory;
    private final ConcurrentMap<String, CertificateStatus> cache = new ConcurrentHashMap<>();

    public StatusStore(Path storageDirectory) {
        this.directory = storageDirectory.resolve("status");
    }

    public CertificateStatus get(String address) {
        String key = key(address);
        return cache.computeIfAbsent(key, ignored -> read(address, file(key)));
    }

    public synchronized void put(CertificateStatus status) {
        String key = key(status.address());
        write(status, file(key));
        cache.put(key, status);
    }

    private static String key(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    private Path file(String key) {
        return directory.resolve(key.replaceAll("[^a-z0-9@._+-]", "_") + ".properties");
    }

    private static CertificateStatus read(String address, Path file) {
        if (!Files.exists(file)) {
            return CertificateStatus.none(address);
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the status file " + file, e);
        }
        return new CertificateStatus(address,
            CertificateState.valueOf(properties.getProperty("state", "NONE")),
            optional(properties, "orderUrl"),
            optional(properties, "notAfter").map(Instant::parse),
            optional(properties, "lastError"),
            optional(properties, "keyStore").map(Path::of),
            optional(properties, "updated").map(Instant::parse).orElse(Instant.EPOCH),
            optional(properties, "nextAttempt").map(Instant::parse));
    }

    private static Optional<String> optional(Properties properties, String name) {
        return Optional.ofNullable(properties.getProperty(name));
    }

    private void write(CertificateStatus status, Path file) {
        Properties properties = new Properties();
        properties.setProperty("state", status.state().name());
        status.orderUrl().ifPresent(url -> properties.setProperty("orderUrl", url));
        status.notAfter().ifPresent(time -> properties.setProperty("notAfter", time.toString()));
        status.lastError().ifPresent(error -> properties.setProperty("lastError", error));
        status.nextAttempt().ifPresent(time -> properties.setProperty("nextAttempt", time.toString()));
        status.keyStore().ifPresent(path -> properties.setProperty("keyStore", path.toString()));
        properties.setProperty("updated", status.updated().toString());
        try {
            Files.createDirectories(directory);
            Path temporary = Files.createTempFile(directory, ".status-", ".tmp");
            try (OutputStream out = Files.newOutputStream(temporary)) {
                properties.store(out, "james-acme-smime certificate status of " + status.address());
            }
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the status file " + file, e);
        }
    }
}
