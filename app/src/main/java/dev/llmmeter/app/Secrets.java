package dev.llmmeter.app;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The values of secret settings, kept out of every line the app prints from an exception message. Kafka's own
 * messages may quote what they could not parse: a JAAS value with a stray quote makes Kafka name part of the
 * password as an "option". Secret settings are Kafka's password-type ones ({@code sasl.jaas.config},
 * {@code ssl.key.password}, ...), also under a client prefix ({@code producer.}, {@code main.consumer.}, ...).
 *
 * <p>{@link #register} is called wherever settings are loaded. {@link #redact}, for a message of Kafka's, replaces
 * each secret, and each word of it that is part of one, with {@value #MASK}; {@link #redactValues}, for a line of the
 * app's own wording (which may quote such a message), only the secrets themselves, so its own words ("check the
 * password") stay. In a JAAS value only the options that carry a secret (password, secret, token, credential)
 * count: the login module and user name stay readable.
 */
public final class Secrets {
    static final String MASK = "****";
    /** A word of a line shorter than this is left alone even when a secret contains it ("at", "the", ...). */
    static final int MIN_WORD = 4;
    private static final Set<String> PASSWORD_KEYS = passwordKeys();
    private static final Pattern JAAS_SECRET = Pattern.compile(
            "(?i)[\\w.-]*(?:password|secret|token|credential)[\\w.-]*\\s*=\\s*(.*?)(?=\\s+[\\w.-]+\\s*=|;\\s*$|$)");
    private static final Pattern WORD = Pattern.compile("[^\\s'\"`=,;:()\\[\\]{}<>]+");
    private static final Set<String> SECRETS = new CopyOnWriteArraySet<>();

    private Secrets() {
    }

    /** Remembers the secret values among {@code settings}, for every later {@link #redact}. */
    public static void register(Map<?, ?> settings) {
        settings.forEach((k, v) -> {
            if (k != null && v != null && isSecret(k.toString())) {
                SECRETS.addAll(fragments(k.toString(), v.toString()));
            }
        });
    }

    /** {@code line} with every registered secret masked. */
    public static String redactValues(String line) {
        if (line == null || SECRETS.isEmpty()) {
            return line;
        }
        String out = line;
        for (String secret : SECRETS.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList()) {
            if (secret.length() >= MIN_WORD) {
                out = out.replace(secret, MASK);
            }
        }
        return out;
    }

    /** A message of Kafka's with every registered secret, and every word of it that is part of one, masked. */
    public static String redact(String message) {
        if (message == null || SECRETS.isEmpty()) {
            return message;
        }
        String out = redactValues(message);
        Matcher words = WORD.matcher(out);
        StringBuilder b = new StringBuilder();
        while (words.find()) {
            String word = words.group();
            boolean secret = word.length() >= MIN_WORD && SECRETS.stream().anyMatch(s -> s.contains(word))
                    || SECRETS.contains(word);
            words.appendReplacement(b, Matcher.quoteReplacement(secret ? MASK : word));
        }
        return words.appendTail(b).toString();
    }

    /** Whether {@code key}, or what follows a client prefix in it, is one of Kafka's password-type settings. */
    static boolean isSecret(String key) {
        for (String k : PASSWORD_KEYS) {
            if (key.equals(k) || key.endsWith("." + k)) {
                return true;
            }
        }
        return false;
    }

    /** The secret parts of a value: all of it, or, for JAAS, the secret options' values and their pieces. */
    static List<String> fragments(String key, String value) {
        List<String> values = new ArrayList<>();
        if (key.endsWith("jaas.config")) {
            Matcher m = JAAS_SECRET.matcher(value);
            while (m.find()) {
                values.add(m.group(1).trim());
            }
        } else {
            values.add(value);
        }
        List<String> out = new ArrayList<>();
        for (String v : values) {
            String unquoted = v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
            Stream.concat(Stream.of(v, unquoted), Stream.of(unquoted.split("[\"\\s]+")))
                    .filter(s -> !s.isEmpty()).forEach(out::add);
        }
        return out;
    }

    private static Set<String> passwordKeys() {
        return Stream.of(AdminClientConfig.configDef(), ProducerConfig.configDef(), ConsumerConfig.configDef(), StreamsConfig.configDef())
                .flatMap(d -> d.configKeys().values().stream())
                .filter(k -> k.type == ConfigDef.Type.PASSWORD)
                .map(k -> k.name)
                .collect(Collectors.toUnmodifiableSet());
    }
}
