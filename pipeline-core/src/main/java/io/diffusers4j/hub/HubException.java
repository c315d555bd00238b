// Port of the error classes of huggingface_hub.utils._errors (RepositoryNotFoundError, GatedRepoError,
// RevisionNotFoundError, EntryNotFoundError, LocalEntryNotFoundError, HfHubHTTPError) as one exception with a kind.
package io.diffusers4j.hub;

/**
 * A Hub download or resolution failure with a one-line message that says what to do. Messages never contain the
 * token (it only ever travels in a request header).
 */
public class HubException extends RuntimeException {
    /** What went wrong. */
    public enum Kind {
        /** The repo does not exist, or is private/gated and no valid token was sent (401/404 RepoNotFound). */
        REPO_NOT_FOUND,
        /** The repo is gated and the token's account has not been granted access. */
        GATED,
        /** 401 without more detail: missing or invalid token. */
        UNAUTHORIZED,
        /** 403: the token has no access. */
        FORBIDDEN,
        /** The branch, tag or commit does not exist. */
        REVISION_NOT_FOUND,
        /** The file does not exist at that revision. */
        ENTRY_NOT_FOUND,
        /** 404 without more detail (repo, file or revision). */
        NOT_FOUND,
        /** 429 after every retry. */
        RATE_LIMITED,
        /** 5xx after every retry. */
        SERVER_ERROR,
        /** Connection failures after every retry. */
        NETWORK,
        /** Offline (localFilesOnly or HF_HUB_OFFLINE=1) and not in the cache. */
        NOT_CACHED,
        /** The downloaded bytes do not hash to the LFS sha256 etag. */
        CHECKSUM_MISMATCH,
        /** The downloaded size differs from what the server announced. */
        SIZE_MISMATCH,
        /** A response this client cannot use (no commit header, no ETag, malformed JSON, bad names). */
        BAD_RESPONSE
    }

    private final Kind kind;
    private final int status;
    private String repoCommit;

    public HubException(Kind kind, int status, String message) {
        this(kind, status, message, null);
    }

    public HubException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status behind the failure, or 0. */
    public int status() {
        return status;
    }

    /** The commit the Hub named in an error response (X-Repo-Commit of an EntryNotFound), or null. */
    public String repoCommit() {
        return repoCommit;
    }

    HubException withRepoCommit(String commit) {
        this.repoCommit = commit;
        return this;
    }

    /** Retrying later might succeed (429, 5xx, network). */
    public boolean isTransient() {
        return kind == Kind.RATE_LIMITED || kind == Kind.SERVER_ERROR || kind == Kind.NETWORK;
    }
}
