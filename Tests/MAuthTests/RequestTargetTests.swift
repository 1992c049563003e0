import MAuth
import Testing

/// How a request target becomes the path and query that MAuth signs.
@Suite("Request targets")
struct RequestTargetTests {
    @Test(
        "a target on the wire is split at its first '?' and nothing else",
        arguments: [
            ("/v1/items?z=1", "/v1/items", "z=1"),
            ("/", "/", ""),
            ("", "/", ""),
            ("/a?", "/a", ""),
            ("/a?b?c", "/a", "b?c"),
            ("/a#b?c#d", "/a#b", "c#d"),
            ("//x/./y/%2F", "//x/./y/%2F", ""),
            ("http://host/a?b", "http://host/a", "b"),
            // A combining mark after the '?' makes one character of the two; the split is the
            // same (found by scripts/fuzz).
            ("/a?\u{301}x=1", "/a", "\u{301}x=1"),
            ("/\u{600}?q", "/\u{600}", "q"),
        ])
    func wireTarget(target: String, path: String, query: String) {
        let split = MAuthRequestTarget(target)
        #expect(split.path == path)
        #expect(split.query == query)
    }

    @Test(
        "a URL a client sends loses its fragment, scheme and authority",
        arguments: [
            ("https://api.example.com/v1/items?z=1#top", "/v1/items", "z=1"),
            ("http://host:8080", "/", ""),
            ("http://host?q=1", "/", "q=1"),
            ("/a/b?c=d#e", "/a/b", "c=d"),
            ("/a#b?c", "/a", ""),
            ("?x=1", "/", "x=1"),
            ("https://example.com:8443/x/%7E?q=1", "/x/%7E", "q=1"),
            ("//host-less/path", "//host-less/path", ""),
            ("/a#\u{301}b?c", "/a", ""),
            ("https://h\u{600}/p?\u{301}", "/p", "\u{301}"),
        ])
    func clientURL(url: String, path: String, query: String) {
        let target = MAuthRequestTarget(url: url)
        #expect(target.path == path)
        #expect(target.query == query)
    }
}
