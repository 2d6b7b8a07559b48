package io.jamesacme.smime.state;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, writes and quarantines the record files of a {@link FileStateStore}.
 *
 * <p>A record file is the output of {@link Properties#store} followed by one line
 * {@code sha256=<hex>}, the SHA-256 digest of the bytes before that line. The digest makes a
 * truncated or garbled file fail to load instead of loading as a shorter record.
 *
 * <p>A write goes to a temporary file in the target's folder, which is synced, moved over the
 * target with an atomic rename, and followed by a sync of the folder. On POSIX file systems
 * every file is created with mode 0600 and every folder with mode 0700, so no other user ever
 * sees a key, not even for the moment before a chmod. The caller holds the store lock, so no
 * two writers race on one file.
 */
final class FileRecordIo {
    private static final Logger LOGGER = LoggerFactory.getLogger(FileRecordIo.class);

    static final String RECORD_SUFFIX = ".properties";
    static final String TEMPORARY_SUFFIX = ".tmp";
    static final String CORRUPT_SUFFIX = ".corrupt";

    private static final String CHECKSUM_PREFIX = "sha256=";
    private static final boolean WINDOWS =
        System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final FileAttribute<?>[] fileAttributes;
    private final FileAttribute<?>[] folderAttributes;

    private FileRecordIo(FileAttribute<?>[] fileAttributes, FileAttribute<?>[] folderAttributes) {
        this.fileAttributes = fileAttributes;
        this.folderAttributes = folderAttributes;
    }

    /** Returns the helper for the file system of {@code folder}, which must exist. */
    static FileRecordIo forFolder(Path folder) throws IOException {
        if (!Files.getFileStore(folder).supportsFileAttributeView("posix")) {
            return new FileRecordIo(new FileAttribute<?>[0], new FileAttribute<?>[0]);
        }
        return new FileRecordIo(
            new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))},
            new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------"))});
    }

    /** Returns the attributes that give a new file mode 0600, or none off POSIX. */
    FileAttribute<?>[] fileAttributes() {
        return fileAttributes.clone();
    }

    /** Creates {@code folder} and its missing parents with mode 0700, then syncs its parent. */
    void createFolder(Path folder) throws IOException {
        if (Files.isDirectory(folder)) {
            return;
        }
        Files.createDirectories(folder, folderAttributes);
        syncFolder(folder.getParent());
    }

    /**
     * Reads a record and converts it with {@code parser}. A missing file gives an empty result.
     * A file that fails the digest check, or that {@code parser} rejects with
     * {@link FileRecordException}, is quarantined and also gives an empty result.
     */
    <T> Optional<T> read(Path file, Function<Properties, T> parser) throws IOException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parser.apply(decode(content)));
        } catch (FileRecordException e) {
            quarantine(file, e.getMessage());
            return Optional.empty();
        }
    }

    /** Replaces {@code file} atomically with the record {@code fields}. */
    void write(Path file, String title, Properties fields) throws IOException {
        Path folder = file.getParent();
        Path temporary = Files.createTempFile(folder, "." + file.getFileName() + ".",
            TEMPORARY_SUFFIX, fileAttributes);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(encode(title, fields));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        syncFolder(folder);
    }

    /** Deletes {@code file} if it exists, and makes the deletion durable. */
    void delete(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            syncFolder(file.getParent());
        }
    }

    /**
     * Renames a damaged record to {@code <name>.corrupt}, or {@code <name>.<n>.corrupt} when
     * that name is taken, so that the store opens without it and an operator can inspect it.
     *
     * @return the new path of the file
     */
    Path quarantine(Path file, String reason) throws IOException {
        Path target = file.resolveSibling(file.getFileName() + CORRUPT_SUFFIX);
        // An atomic move replaces an existing target on POSIX, so a free name is found first.
        for (int n = 1; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
            target = file.resolveSibling(file.getFileName() + "." + n + CORRUPT_SUFFIX);
        }
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        syncFolder(file.getParent());
        LOGGER.warn("Moved the damaged state file {} to {}: {}", file, target.getFileName(),
            reason);
        return target;
    }

    /** Lists the record files of {@code folder} by name, without temporary or corrupt ones. */
    static List<Path> records(Path folder) throws IOException {
        List<Path> records = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, "*" + RECORD_SUFFIX)) {
            for (Path file : stream) {
                if (!file.getFileName().toString().startsWith(".") && Files.isRegularFile(file)) {
                    records.add(file);
                }
            }
        }
        records.sort(null);
        return records;
    }

    /**
     * Deletes the temporary files that a write interrupted by a crash left in {@code folder}.
     * The caller holds the store lock, so no write of another process is under way.
     *
     * @return how many files were deleted
     */
    int deleteTemporaryFiles(Path folder) throws IOException {
        int deleted = 0;
        String pattern = "*" + TEMPORARY_SUFFIX;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, pattern)) {
            for (Path file : stream) {
                if (Files.isRegularFile(file)) {
                    Files.delete(file);
                    LOGGER.info("Deleted {}, left by a state write that did not finish", file);
                    deleted++;
                }
            }
        }
        if (deleted > 0) {
            syncFolder(folder);
        }
        return deleted;
    }

    /** Returns the record text of {@code fields} with its digest line. */
    static byte[] encode(String title, Properties fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            fields.store(out, title);
        } catch (IOException e) {
            throw new IllegalStateException("A ByteArrayOutputStream failed", e);
        }
        byte[] body = out.toByteArray();
        String checksum = CHECKSUM_PREFIX + HexFormat.of().formatHex(sha256(body)) + "\n";
        out.writeBytes(checksum.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /**
     * Checks the digest line and loads the properties before it.
     *
     * @throws FileRecordException when the file is empty, has no digest line, or the digest
     *     does not match
     */
    static Properties decode(byte[] content) {
        if (content.length == 0) {
            throw new FileRecordException("the file is empty");
        }
        if (content[content.length - 1] != '\n') {
            throw new FileRecordException(
                "the file does not end with a line break, so it was cut short");
        }

        int lastLineStart = content.length - 1;
        while (lastLineStart > 0 && content[lastLineStart - 1] != '\n') {
            lastLineStart--;
        }
        String lastLine = new String(content, lastLineStart, content.length - lastLineStart,
            StandardCharsets.ISO_8859_1).strip();
        if (!lastLine.startsWith(CHECKSUM_PREFIX)) {
            throw new FileRecordException(
                "the last line is not the " + CHECKSUM_PREFIX + " digest");
        }
        byte[] expected;
        try {
            expected = HexFormat.of().parseHex(lastLine.substring(CHECKSUM_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new FileRecordException(
                "the " + CHECKSUM_PREFIX + " digest is not hexadecimal", e);
        }

        byte[] body = new byte[lastLineStart];
        System.arraycopy(content, 0, body, 0, lastLineStart);
        if (!MessageDigest.isEqual(expected, sha256(body))) {
            throw new FileRecordException("the SHA-256 digest does not match the content");
        }

        Properties fields = new Properties();
        try {
            fields.load(new ByteArrayInputStream(body));
        } catch (IOException | IllegalArgumentException e) {
            throw new FileRecordException("the content is not a properties text", e);
        }
        return fields;
    }

    /** Returns the lower-case hex SHA-256 of the UTF-8 bytes of {@code text}, a safe file name. */
    static String digestName(String text) {
        return HexFormat.of().formatHex(sha256(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256", e);
        }
    }

    /**
     * Syncs a folder so that a rename or deletion in it survives a power loss. Linux and macOS
     * allow fsync on a folder opened for reading. Windows cannot open a folder as a channel, so
     * there the step is skipped.
     *
     * <p>NOTE: on Windows a rename made just before a power loss may therefore be lost.
     */
    static void syncFolder(Path folder) throws IOException {
        if (WINDOWS) {
            return;
        }
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
