package dev.llmmeter.topology.insights;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GroupKeysTest {
    @Test
    void noLabelIsPublishedUnderTheFoldsName() {
        assertEquals("*other", GroupKeys.publishedName("other"));
        assertEquals("**other", GroupKeys.publishedName("*other"));
        assertEquals("***other", GroupKeys.publishedName("**other"));
        assertEquals("others", GroupKeys.publishedName("others"));
        assertEquals("*x", GroupKeys.publishedName("*x"));
        assertEquals("x*other", GroupKeys.publishedName("x*other"));
        assertEquals("*", GroupKeys.publishedName("*"));
    }
}
