import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("V2 path normalization (PROTOCOL.md §4.1)")
struct PathNormalizerTests {
    @Test(
        "examples table",
        arguments: [
            ("/v1/./items/", "/v1/items/"),
            ("/v1/a/b/../c", "/v1/a/c"),
            ("/v1/items/..", "/v1/"),
            ("//v1///items", "/v1/items"),
            ("/../../v1", "/v1"),
            ("/files/%e2%82%ac", "/files/%E2%82%AC"),
            ("/a/%2e%2e/b", "/a/%2E%2E/b"),
            ("/v1/%cF", "/v1/%cF"),
        ]
    )
    func examples(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input.utf8).text == expected)
    }

    @Test(
        "edge cases",
        arguments: [
            ("", "/"),
            ("/", "/"),
            ("/.", "/"),
            ("/..", "/"),
            ("/a/.", "/a/"),
            ("/v1/%Cf", "/v1/%Cf"),
            ("/v1/%2f", "/v1/%2F"),
            ("/a/%2F../b", "/a/%2F../b"),
            ("/a/..b/c", "/a/..b/c"),
            ("/...", "/..."),
            ("/a//../b", "/b"),
            ("/a/b//..", "/a/"),
            ("/%", "/%"),
            ("/%e", "/%e"),
        ]
    )
    func edgeCases(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input.utf8).text == expected)
    }

    @Test(
        "Ruby removes dot segments before collapsing slashes",
        arguments: [
            ("/a//../b", "/a/b"),
            ("/a/b//..", "/a/b/"),
        ]
    )
    func rubyVariant(input: String, expected: String) {
        #expect(PathNormalizer.hasRubyVariant(input.utf8))
        #expect(PathNormalizer.normalizeDotSegmentsFirst(input.utf8).text == expected)
    }

    @Test("no Ruby variant without both // and ..", arguments: ["/a/../b", "//a/b", "/a/b", "/a//..b"])
    func noRubyVariant(input: String) {
        #expect(!PathNormalizer.hasRubyVariant(input.utf8))
    }
}
