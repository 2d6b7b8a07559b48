package io.jamesacme.smime.state;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The exclusive lock of one store folder, held around every operation of a
 * {@link FileStateStore}.
 *
 * <p>Between processes it is an OS file lock ({@link FileChannel#lock()}) on {@code .lock} in
 * the folder. Within one JVM a second file lock on the same file raises
 * {@link java.nio.channels.OverlappingFileLockException}. On some systems, Linux among them,
 * closing any channel on the file also releases every lock the JVM holds on it (see
 * {@link FileLock}, "Platform dependencies"). So every instance of the JVM first takes a
 * {@link ReentrantLock} shared by all instances on the same real folder path, and opens, locks
 * and closes its channel only while holding it.
 *
 * <p>The OS releases the file lock when a process dies, so a crash never leaves the store
 * locked. NOTE: two paths that reach one folder without sharing a real path (a bind mount, or
 * the same network share mounted twice) get two JVM locks, and would then fail with
 * {@code OverlappingFileLockException} instead of waiting.
 */
final class FileStoreLock {
    static final String LOCK_FILE = ".lock";

    private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** An operation that runs under the lock. */
    @FunctionalInterface
    interface Action<T> {
        T run() throws IOException;
    }

    private final Path lockFile;
    private final FileAttribute<?>[] fileAttributes;
    private final ReentrantLock jvmLock;

    /**
     * @param realFolder the store folder as {@link Path#toRealPath} returns it
     * @param fileAttributes the attributes for creating {@code .lock}
     */
    FileStoreLock(Path realFolder, FileAttribute<?>[] fileAttributes) {
        this.lockFile = realFolder.resolve(LOCK_FILE);
        this.fileAttributes = fileAttributes.clone();
        this.jvmLock = JVM_LOCKS.computeIfAbsent(realFolder, folder -> new ReentrantLock());
    }

    /**
     * Runs {@code action} while this thread holds both locks. Must not be called from inside
     * an action, because a second file lock of the JVM on {@code .lock} fails.
     *
     * @throws InterruptedIOException when the thread is interrupted while it waits
     */
    <T> T call(Action<T> action) throws IOException {
        if (jvmLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("The lock of " + lockFile
                + " is already held by this thread");
        }
        try {
            jvmLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while waiting for the lock of "
                + lockFile);
        }
        try (FileChannel channel = FileChannel.open(lockFile,
                 Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), fileAttributes);
             FileLock ignored = channel.lock()) {
            return action.run();
        } finally {
            jvmLock.unlock();
        }
    }
}
