// Port of transformers.tokenization_utils.Trie: cuts a text around the added tokens it contains, in one pass.
package io.diffusers4j.tokenizers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slow tokenizer's added-token splitter: {@code Trie.split("a <|endoftext|> b")} gives
 * {@code ["a ", "<|endoftext|>", " b"]}. Same algorithm as transformers (earliest start wins, the longest token from
 * that start, look-ahead over overlapping partial matches), on code points. Immutable after construction.
 */
final class AddedTokenTrie {
    private final Node root = new Node();
    private final boolean empty;

    AddedTokenTrie(Collection<String> tokens) {
        boolean any = false;
        for (String token : tokens) {
            if (token.isEmpty()) {
                continue;
            }
            Node ref = root;
            for (int cp : token.codePoints().toArray()) {
                ref = ref.children.computeIfAbsent(cp, k -> new Node());
            }
            ref.terminal = true;
            any = true;
        }
        empty = !any;
    }

    /** {@code Trie.split(text)}: the text cut at the boundaries of the added tokens found; never empty pieces. */
    List<String> split(String text) {
        if (empty || text.isEmpty()) {
            List<String> whole = new ArrayList<>();
            if (!text.isEmpty()) {
                whole.add(text);
            }
            return whole;
        }
        int[] cps = text.codePoints().toArray();
        // partial matches: start index -> trie node reached so far (insertion order = start order)
        LinkedHashMap<Integer, Node> states = new LinkedHashMap<>();
        List<Integer> offsets = new ArrayList<>();
        offsets.add(0);
        int skip = 0;
        for (int current = 0; current < cps.length; current++) {
            if (skip > 0 && current < skip) {
                continue;
            }
            int currentChar = cps[current];
            List<Integer> toRemove = new ArrayList<>();
            boolean reset = false;
            for (Map.Entry<Integer, Node> state : states.entrySet()) {
                int start = state.getKey();
                Node pointer = state.getValue();
                if (pointer.terminal) {
                    // a full match: look ahead for the longest match among this and earlier partial matches
                    int end = current;
                    for (Map.Entry<Integer, Node> look : states.entrySet()) {
                        int lookStart = look.getKey();
                        Node lookPointer = look.getValue();
                        int lookaheadIndex;
                        if (lookStart > start) {
                            break;
                        } else if (lookStart < start) {
                            lookaheadIndex = current + 1;
                            end = current + 1;
                        } else {
                            lookaheadIndex = current;
                            end = current;
                        }
                        Integer nextChar = lookaheadIndex < cps.length ? cps[lookaheadIndex] : null;
                        if (lookPointer.terminal) {
                            start = lookStart;
                            end = lookaheadIndex;
                            skip = lookaheadIndex;
                        }
                        while (nextChar != null && lookPointer.children.containsKey(nextChar)) {
                            lookPointer = lookPointer.children.get(nextChar);
                            lookaheadIndex++;
                            if (lookPointer.terminal) {
                                start = lookStart;
                                end = lookaheadIndex;
                                skip = lookaheadIndex;
                            }
                            if (lookaheadIndex == cps.length) {
                                break;
                            }
                            nextChar = cps[lookaheadIndex];
                        }
                    }
                    offsets.add(start);
                    offsets.add(end);
                    reset = true;
                    break;
                } else if (pointer.children.containsKey(currentChar)) {
                    state.setValue(pointer.children.get(currentChar));
                } else {
                    toRemove.add(start);
                }
            }
            if (reset) {
                states.clear();
            } else {
                for (Integer start : toRemove) {
                    states.remove(start);
                }
            }
            if (current >= skip && root.children.containsKey(currentChar)) {
                states.put(current, root.children.get(currentChar));
            }
        }
        // a match running to the end of the text
        Iterator<Map.Entry<Integer, Node>> it = states.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, Node> state = it.next();
            if (state.getValue().terminal) {
                offsets.add(state.getKey());
                offsets.add(cps.length);
                break;
            }
        }
        return cutText(cps, offsets);
    }

    private static List<String> cutText(int[] cps, List<Integer> offsets) {
        offsets.add(cps.length);
        List<String> pieces = new ArrayList<>();
        int start = 0;
        for (int end : offsets) {
            if (start >= end) {
                continue; // zero-width cuts (a match at 0, two consecutive matches); start > end cannot recover either
            }
            pieces.add(new String(cps, start, end - start));
            start = end;
        }
        return pieces;
    }

    private static final class Node {
        final Map<Integer, Node> children = new HashMap<>();
        boolean terminal;
    }
}
