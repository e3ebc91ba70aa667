package dev.trellis.proxy.http.router;

import dev.trellis.proxy.upstream.Lease;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;

/**
 * The request body on its way upstream, and the replay buffer: while the pieces received fit in
 * {@link #REPLAY_LIMIT}, each is held, so that a retry or a mirror can send the whole body again;
 * past it, pieces are held only until the current try has sent them, and the body cannot be sent
 * twice. Every piece is released exactly once: when it has been sent for the last time, or by
 * {@link #release()}.
 */
final class RequestBody {
    /** Body bytes held for retries and mirrors (Envoy's and Istio's default buffer limit is larger; Linkerd's is 64 KiB). */
    static final int REPLAY_LIMIT = 64 * 1024;

    /** The pieces held; none for a body that is only its empty end (a GET's), which is the common case. */
    private ArrayList<HttpContent> pieces;
    /** The body ended with no bytes and nothing held: each try writes an empty end of its own. */
    private boolean emptyEnd;
    private int bytes;
    private boolean replayable = true;
    /** Pieces of {@link #pieces} the current try has written. */
    private int sent;
    private boolean complete;

    /** Takes ownership of a piece of the body, in order. */
    void add(HttpContent piece) {
        if (piece instanceof LastHttpContent) {
            complete = true;
            if (pieces == null && !piece.content().isReadable() && ((LastHttpContent) piece).trailingHeaders().isEmpty()) {
                piece.release();
                emptyEnd = true;
                return;
            }
        }
        if (pieces == null) {
            pieces = new ArrayList<>(2);
        }
        if (replayable) {
            bytes += piece.content().readableBytes();
            if (bytes > REPLAY_LIMIT) {
                stopHolding();
            }
        }
        pieces.add(piece);
    }

    /** Whether the whole body can be written again from the start. */
    boolean replayable() {
        return replayable;
    }

    /** Whether any body bytes have arrived (known while {@link #replayable()}). */
    boolean hasBytes() {
        return bytes > 0;
    }

    /** The body's bytes so far (known while {@link #replayable()}). */
    int bytes() {
        return bytes;
    }

    /** Whether the body's last piece has arrived. */
    boolean complete() {
        return complete;
    }

    /** Writes what the current try has not sent yet; flushing is the caller's. */
    void writeTo(Lease upstream) {
        if (pieces == null) {
            if (emptyEnd && sent == 0) {
                sent = 1;
                upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return;
        }
        if (replayable) {
            for (; sent < pieces.size(); sent++) {
                upstream.write(pieces.get(sent).retainedDuplicate());
            }
        } else {
            for (HttpContent piece : pieces) {
                upstream.write(piece); // sent once: the write releases it
            }
            pieces.clear();
        }
    }

    /** A new try starts: it sends the body from the start. Only while {@link #replayable()}. */
    void rewind() {
        if (!replayable) {
            throw new IllegalStateException("the body is no longer held");
        }
        sent = 0;
    }

    /** Retained duplicates of the whole body, for a mirror; only once complete and while replayable. */
    ArrayList<HttpContent> copy() {
        ArrayList<HttpContent> copy = new ArrayList<>(pieces == null ? 1 : pieces.size());
        if (pieces == null) {
            if (emptyEnd) {
                copy.add(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return copy;
        }
        for (HttpContent piece : pieces) {
            copy.add(piece.retainedDuplicate());
        }
        return copy;
    }

    /** No more tries will come: keep only what the current try has yet to send. */
    void stopHolding() {
        if (!replayable) {
            return;
        }
        replayable = false;
        if (pieces == null) {
            return; // nothing held; an empty end not yet written is written by the current try
        }
        for (int i = 0; i < sent; i++) {
            pieces.get(i).release();
        }
        pieces.subList(0, sent).clear();
        sent = 0;
    }

    /** The request is over: lets go of every piece held. */
    void release() {
        if (pieces != null) {
            pieces.forEach(ReferenceCountUtil::release);
            pieces.clear();
        }
        sent = 0;
    }
}
