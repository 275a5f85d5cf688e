package dev.llmmeter.serve.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bearer tokens a server accepts, each with its {@link Scope}, from a file of lines {@code TOKEN SCOPE}
 * (scope {@code admin} or {@code tenant:NAME}; blank lines and lines starting with {@code #} skipped).
 *
 * <p>Only the tokens' SHA-256 hashes are kept. A presented token is hashed and compared with every entry by
 * {@link MessageDigest#isEqual} (constant time), all of them whatever matches, so the time taken does not tell
 * how much of a guess was right. No message of this class contains a token.
 */
public final class Tokens {
    /** RFC 6750's b64token: what fits an Authorization header and, URL-encoded, a query parameter. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");
    public static final int MIN_LENGTH = 16;
    /** Tenant names are 1-256 characters (the wire contract). */
    private static final int MAX_TENANT = 256;

    /** A tokens file that cannot be used; the message names the file and the line, never a token. */
    public static final class BadTokens extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadTokens(String message) {
            super(message);
        }
    }

    /** One line of the file: the token's hash and scope. Equal only to itself (a record's array is compared by reference). */
    record Entry(byte[] hash, Scope scope) {
    }

    private final List<Entry> entries;

    private Tokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** @throws BadTokens naming the file (and the line) for a missing or unreadable file, a bad line or no token at all */
    public static Tokens load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadTokens("tokens file " + file + " does not exist");
        } catch (IOException e) {
            throw new BadTokens("cannot read tokens file " + file + ": " + e.getMessage());
        }
        try {
            return parse(lines);
        } catch (BadTokens e) {
            throw new BadTokens("tokens file " + file + " " + e.getMessage());
        }
    }

    /** @throws BadTokens naming the line ("line 3: ...") */
    public static Tokens parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "line " + (i + 1) + ": ";
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw new BadTokens(where + "expected 'TOKEN SCOPE' (scope admin or tenant:NAME), got " + fields.length + " fields");
            }
            if (!TOKEN.matcher(fields[0]).matches()) {
                throw new BadTokens(where + "a token is letters, digits and - . _ ~ + / (then = padding)");
            }
            if (fields[0].length() < MIN_LENGTH) {
                throw new BadTokens(where + "a token must be at least " + MIN_LENGTH + " characters (openssl rand -hex 32 makes one)");
            }
            byte[] hash = sha256(fields[0]);
            for (Entry e : entries) {
                if (MessageDigest.isEqual(e.hash(), hash)) {
                    throw new BadTokens(where + "this token is already on an earlier line");
                }
            }
            entries.add(new Entry(hash, scope(fields[1], where)));
        }
        if (entries.isEmpty()) {
            throw new BadTokens("has no token: each line is 'TOKEN SCOPE' (scope admin or tenant:NAME)");
        }
        return new Tokens(entries);
    }

    private static Scope scope(String s, String where) {
        if (s.equals("admin")) {
            return Scope.ADMIN;
        }
        if (s.startsWith("tenant:") && s.length() > "tenant:".length() && s.length() - "tenant:".length() <= MAX_TENANT) {
            return Scope.tenant(s.substring("tenant:".length()));
        }
        throw new BadTokens(where + "scope must be admin or tenant:NAME (NAME 1-" + MAX_TENANT + " characters), got '"
                + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'");
    }

    /** The scope of {@code presented}; empty for null or a token not in the file. Constant time in the token. */
    public Optional<Scope> scopeOf(String presented) {
        return entryOf(presented).map(Entry::scope);
    }

    /** The entry of {@code presented}, which stands for the token where a token must be told apart (never the token itself). */
    Optional<Entry> entryOf(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] hash = sha256(presented);
        Entry found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.hash(), hash)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    public int size() {
        return entries.size();
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
