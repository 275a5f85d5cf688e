package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one line a running app's authorization failure becomes, found anywhere in the cause chain. */
class AccessCheckTest {
    private final AccessCheck access = new AccessCheck("llm-metering", MeteringConfig.defaults(), true);

    @Test
    void anInternalTopicDeniedNamesTheApplicationIdPrefixAndItsThreeOperations() {
        assertEquals(Optional.of("not authorized: the app (application id llm-metering) needs READ, WRITE, CREATE and DELETE on topics "
                        + "prefixed llm-metering- (its internal topics): grant it to its principal with an ACL"),
                access.describe(new StreamsException(new TopicAuthorizationException(Set.of("llm-metering-partials-repartition")))));
    }

    @Test
    void theInputAndAnOutputDeniedNameReadAndWriteOnEachTopic() {
        assertEquals(Optional.of("not authorized: the app (application id llm-metering) needs READ on topic metering.deltas; "
                        + "WRITE on topic metering.stats: grant it to its principal with an ACL"),
                access.describe(new TopicAuthorizationException(Set.of("metering.stats", "metering.deltas"))));
    }

    @Test
    void aGroupOrTransactionalIdDeniedDeepInTheChainIsNamed() {
        assertEquals(Optional.of("not authorized: the app (application id llm-metering) needs READ on group llm-metering: "
                        + "grant it to its principal with an ACL"),
                access.describe(new StreamsException(new KafkaException(new GroupAuthorizationException("no", "llm-metering")))));
        assertEquals(Optional.of("not authorized: the app (application id llm-metering) needs WRITE on transactional ids "
                        + "prefixed llm-metering- (exactly-once): grant it to its principal with an ACL"),
                access.describe(new StreamsException(new TransactionalIdAuthorizationException("Transactional Id authorization failed."))));
    }

    @Test
    void anyOtherFailureIsNoAuthorizationFailure() {
        assertEquals(Optional.empty(), access.describe(new StreamsException(new IllegalStateException("bug"))));
    }
}
