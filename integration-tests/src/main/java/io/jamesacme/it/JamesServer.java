package io.jamesacme.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apache James 3.8.1 (memory app) running as a child JVM in a {@link JamesWorkingDirectory}.
 * Standard output and error are appended to {@code james.log} in that directory, so the log
 * keeps every run of that directory. Each run starts after a line {@value #START_MARKER} with the
 * start time and the system properties of {@link JamesWorkingDirectory#setSystemProperty}. A
 * JVM shutdown hook destroys the process if {@link #close()} was never called.
 *
 * <p>One instance is one process. {@link #kill()} stops it hard, and {@link #awaitExit} waits for
 * a process that stops itself. {@link #restart} then starts a new process on the same working
 * directory, with the same ports, {@code conf/} and {@code var/}.
 */
public final class JamesServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(JamesServer.class);
    private static final String MAIN_CLASS = "org.apache.james.MemoryJamesServerMain";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final int LOG_TAIL_LINES = 80;
    /** Start of the line that {@link #start} appends to james.log before each process starts. */
    public static final String START_MARKER = "==== io.jamesacme.it.JamesServer: starting James";

    private final ProjectLayout layout;
    private final JamesWorkingDirectory workingDirectory;
    private final Process process;
    private final long logOffset;
    private final Thread shutdownHook;
    private final WebAdminClient webAdmin;

    private JamesServer(ProjectLayout layout, JamesWorkingDirectory workingDirectory, Process process,
                        long logOffset) {
        this.layout = layout;
        this.workingDirectory = workingDirectory;
        this.process = process;
        this.logOffset = logOffset;
        this.shutdownHook = new Thread(this::destroy, "stop-james-" + process.pid());
        this.webAdmin = new WebAdminClient(URI.create("http://127.0.0.1:" + workingDirectory.webAdminPort()));
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts James from {@code workingDirectory} with the James classpath of {@code layout} and
     * waits until WebAdmin responds. The directory may hold the files of an earlier run, whose
     * process must have exited. James then reuses its {@code var/} and appends to its log.
     *
     * @throws IllegalStateException if James exits or does not answer within {@code startTimeout};
     *     the message contains the end of james.log
     */
    public static JamesServer start(ProjectLayout layout, JamesWorkingDirectory workingDirectory,
                                    Duration startTimeout) throws IOException {
        Path directory = workingDirectory.directory();
        // An argument file keeps the 300-jar classpath off the command line.
        Path argumentFile = directory.resolve("james-jvm.args");
        Files.write(argumentFile, List.of(
                "-Xmx512m",
                "-Dworking.directory=" + directory,
                "-Dlogback.configurationFile=" + workingDirectory.conf().resolve("logback.xml"),
                "-Dextra.props=" + workingDirectory.conf().resolve("jvm.properties"),
                // conf/ comes first: the sample's DKIMSign reads its key from the classpath.
                "-cp",
                workingDirectory.conf() + java.io.File.pathSeparator + layout.jamesClasspath()),
                StandardCharsets.UTF_8);

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "@" + argumentFile));
        // On the command line rather than in the argument file, which would need its own quoting.
        workingDirectory.systemProperties().forEach((name, value) -> command.add("-D" + name + "=" + value));
        command.add(MAIN_CLASS);

        Path log = workingDirectory.logFile();
        String systemProperties = workingDirectory.systemProperties().isEmpty() ? ""
                : " with system properties " + workingDirectory.systemProperties();
        Files.writeString(log, START_MARKER + " at " + Instant.now() + systemProperties + " ===="
                        + System.lineSeparator(),
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long logOffset = Files.size(log);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        LOGGER.info("Starting James in {} (log: {}){}", directory, log, systemProperties);
        JamesServer server = new JamesServer(layout, workingDirectory, builder.start(), logOffset);
        try {
            server.awaitWebAdmin(startTimeout);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        LOGGER.info("James started: pid {}, SMTP {}, IMAP {}, WebAdmin {}", server.process.pid(),
                workingDirectory.smtpPort(), workingDirectory.imapPort(), workingDirectory.webAdminPort());
        return server;
    }

    private void awaitWebAdmin(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(webAdmin.baseUri() + "/domains"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("James exited with code " + process.exitValue()
                        + " during start. " + describeLog());
            }
            try {
                HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // WebAdmin is not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for James to start", e);
            }
            sleep(Duration.ofMillis(250));
        }
        throw new IllegalStateException("James did not respond on WebAdmin port " + workingDirectory.webAdminPort()
                + " within " + timeout.toSeconds() + " s. " + describeLog());
    }

    /**
     * Starts a new James process on this server's working directory, with the same ports,
     * {@code conf/} and {@code var/}, and with the system properties set on the working directory
     * at this moment. This instance stays the stopped process.
     *
     * @throws IllegalStateException if this process is still running. Call {@link #kill()} or
     *     {@link #awaitExit} first.
     */
    public JamesServer restart(Duration startTimeout) throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("James (pid " + process.pid() + ") is still running."
                    + " Stop it with kill() or wait for it with awaitExit() before restarting.");
        }
        removeShutdownHook();
        return start(layout, workingDirectory, startTimeout);
    }

    /**
     * Kills James with SIGKILL ({@link Process#destroyForcibly()}) and waits until the process
     * is gone. No shutdown hook of James runs, as after a power loss. Does nothing when the
     * process already exited.
     *
     * @throws IllegalStateException if the process still exists after 20 s
     */
    public void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("James (pid " + process.pid() + ") did not exit within "
                            + STOP_TIMEOUT.toSeconds() + " s of SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for James (pid " + process.pid()
                        + ") to exit", e);
            }
            LOGGER.info("James (pid {}) killed", process.pid());
        }
        removeShutdownHook();
    }

    /**
     * Waits until James exits by itself, for example through {@code Runtime.halt}, and returns its
     * exit code. A process killed by a signal returns 128 plus the signal number (137 for SIGKILL).
     *
     * @throws IllegalStateException if James still runs after {@code timeout}. The message
     *     contains the end of james.log.
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("James (pid " + process.pid() + ") still runs after "
                        + timeout.toSeconds() + " s. " + describeLog());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for James (pid " + process.pid()
                    + ") to exit", e);
        }
        removeShutdownHook();
        LOGGER.info("James (pid {}) exited with code {}", process.pid(), process.exitValue());
        return process.exitValue();
    }

    public WebAdminClient webAdmin() {
        return webAdmin;
    }

    public JamesWorkingDirectory workingDirectory() {
        return workingDirectory;
    }

    public int smtpPort() {
        return workingDirectory.smtpPort();
    }

    public int imapPort() {
        return workingDirectory.imapPort();
    }

    public int webAdminPort() {
        return workingDirectory.webAdminPort();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Returns the current content of james.log, with the output of every run of this directory. */
    public String log() {
        try {
            return Files.readString(workingDirectory.logFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read " + workingDirectory.logFile(), e);
        }
    }

    /** Returns the part of james.log that this process wrote, without the earlier runs. */
    public String logOfThisRun() {
        try (SeekableByteChannel channel = Files.newByteChannel(workingDirectory.logFile())) {
            channel.position(logOffset);
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read " + workingDirectory.logFile(), e);
        }
    }

    /** Returns the last {@code lines} lines of james.log. */
    public String logTail(int lines) {
        Deque<String> tail = new ArrayDeque<>();
        try {
            for (String line : Files.readAllLines(workingDirectory.logFile(), StandardCharsets.UTF_8)) {
                tail.addLast(line);
                if (tail.size() > lines) {
                    tail.removeFirst();
                }
            }
        } catch (IOException e) {
            return "(james.log not readable: " + e.getMessage() + ")";
        }
        return String.join(System.lineSeparator(), tail);
    }

    /** Returns the log file name and its last lines, for error messages. */
    public String describeLog() {
        return "Last " + LOG_TAIL_LINES + " lines of " + workingDirectory.logFile() + ":" + System.lineSeparator()
                + logTail(LOG_TAIL_LINES);
    }

    /** Stops James: SIGTERM, then a forced kill after 20 s. */
    @Override
    public void close() {
        destroy();
        removeShutdownHook();
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and runs the hook itself.
        }
    }

    private void destroy() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.warn("James (pid {}) did not stop within {} s; killing it", process.pid(), STOP_TIMEOUT.toSeconds());
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LOGGER.info("James (pid {}) stopped", process.pid());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for James to start", e);
        }
    }
}
