package dev.llmmeter.contract;

/** The four kinds of delta event, with their wire names. */
public enum EventType {
    BEGIN("begin"),
    OUTPUT("output"),
    REASONING("reasoning"),
    END("end");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** @return the type for a wire name, or null when it names none. */
    public static EventType fromWireName(String name) {
        return switch (name) {
            case "begin" -> BEGIN;
            case "output" -> OUTPUT;
            case "reasoning" -> REASONING;
            case "end" -> END;
            default -> null;
        };
    }
}
