// The "did you mean" suggestions: edit distance, its limit, the prefix fallback and the clause's wording.
package io.diffusers4j.utils;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DidYouMeanTest {
    private static final List<String> NAMES = List.of("Euler", "Euler a", "Heun", "dpmpp_2m karras",
            "dpmpp_2m_sde karras", "EulerDiscreteScheduler");

    @Test
    void levenshteinDistance() {
        assertEquals(0, DidYouMean.distance("euler", "euler"));
        assertEquals(3, DidYouMean.distance("kitten", "sitting"));
        assertEquals(6, DidYouMean.distance("", "heun ."));
        assertEquals(1, DidYouMean.distance("dpmpp_2m_karras", "dpmpp_2m karras"));
    }

    @Test
    void suggestsTheClosestNamesWithinTheLimitInTheirOwnSpelling() {
        assertEquals(List.of("dpmpp_2m karras"), DidYouMean.suggest("dpmpp_2m_karras", NAMES));
        assertEquals(List.of("Euler", "Heun"), DidYouMean.suggest("EULN", NAMES)); // both at distance 2
        assertEquals(List.of("Euler a"), DidYouMean.suggest("  euler   A ", NAMES)); // an exact match, normalized
        assertEquals(List.of(), DidYouMean.suggest("NoSuchScheduler", NAMES));
        assertEquals(List.of("EulerDiscreteScheduler"), DidYouMean.suggest("EulerDiscrete", NAMES)); // prefix
        assertEquals(List.of(), DidYouMean.suggest("eu", List.of("EulerDiscreteScheduler"))); // too short for prefix
    }

    @Test
    void clauseNamesOneTwoOrThreeSuggestions() {
        assertEquals(" Did you mean 'Heun'?", DidYouMean.clause("hein", NAMES));
        assertEquals(" Did you mean 'Euler' or 'Heun'?", DidYouMean.clause("EULN", NAMES));
        assertEquals(" Did you mean 'ab', 'ac' or 'ad'?", DidYouMean.clause("aa", List.of("ab", "ac", "ad", "ae")));
        assertEquals("", DidYouMean.clause("zzzzzzzz", NAMES));
    }
}
