import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("V2 query canonicalization (PROTOCOL.md §4.2)")
struct QueryCanonicalizerTests {
    /// Under ThreadSanitizer (`scripts/sanitize thread`) this reported a race: every empty result
    /// was made over the standard library's one shared empty array, whose count each thread wrote.
    @Test("empty queries are canonicalized on many threads at once")
    func emptyResultsOnManyThreads() async {
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { _ in
                        QueryCanonicalizer.canonicalize([UInt8]()).isEmpty
                    }
                }
            }
            for await allEmpty in group { #expect(allEmpty) }
        }
    }

    @Test(
        "examples table",
        arguments: [
            ("z=1&a=b+c&a=%41", "a=A&a=b%20c&z=1"),
            ("name=John+Smith", "name=John%20Smith"),
            ("tag=%7Euser", "tag=~user"),
            ("q=50%25+off", "q=50%25%20off"),
            ("b=2&a=2&a=10", "a=10&a=2&b=2"),
            ("e=%c3%a9&e=f&E=1", "E=1&e=f&e=%C3%A9"),
            ("flag&x=", "flag=&x="),
            ("k=a%26b", "k=a%26b"),
            ("a=b=c", "a=b%3Dc"),
            ("a=1;b=2", "a=1%3Bb%3D2"),
            ("k=%zz", "k=%25zz"),
            ("k=%", "k=%25"),
        ]
    )
    func examples(query: String, expected: String) {
        #expect(QueryCanonicalizer.canonicalize(query.utf8).text == expected)
    }

    @Test(
        "disagreements resolve to the Swift rule",
        arguments: [
            ("r=%2Fhome%2F", "r=%2Fhome%2F"),
            ("a=1&", "=&a=1"),
            ("&a=1", "=&a=1"),
            ("a=1&&b=2", "=&a=1&b=2"),
            ("k=%2B", "k=%2B"),
            ("k=%FF", "k=%FF"),
            ("a=b=c", "a=b%3Dc"),
            ("flag", "flag="),
            ("%F0%9F%98%80=1&%EF%BC%81=2", "%EF%BC%81=2&%F0%9F%98%80=1"),
        ]
    )
    func disagreements(query: String, expected: String) {
        #expect(QueryCanonicalizer.canonicalize(query.utf8).text == expected)
    }

    @Test("empty query is empty")
    func empty() {
        #expect(QueryCanonicalizer.canonicalize("".utf8).isEmpty)
        #expect(QueryCanonicalizer.variants(of: "".utf8).isEmpty)
    }

    @Test("a raw space, + and %20 sign alike; so do raw UTF-8 and its escapes")
    func equivalentForms() {
        let forms = ["q=a b", "q=a+b", "q=a%20b"].map { QueryCanonicalizer.canonicalize($0.utf8) }
        #expect(Set(forms).count == 1)
        #expect(QueryCanonicalizer.canonicalize("q=é".utf8) == QueryCanonicalizer.canonicalize("q=%C3%A9".utf8))
    }

    @Test("sorting compares UTF-8 bytes, not Unicode canonical equivalence")
    func byteOrder() {
        // "é" precomposed (C3 A9) sorts after "e" + combining acute (65 CC 81), though Swift's
        // String comparison calls them equal.
        let canonical = QueryCanonicalizer.canonicalize("k=%C3%A9&k=e%CC%81".utf8).text
        #expect(canonical == "k=e%CC%81&k=%C3%A9")
    }

    @Test(
        "variant forms of other clients",
        arguments: [
            ("r=%2Fhome%2F", ["r=/home/"]),
            ("a=1&", ["a=1"]),
            ("a=1&&b=2&", ["a=1&b=2", "=&a=1&b=2"]),
            ("k=%FF", ["k=%EF%BF%BD"]),
            ("z=1&a=2", []),
        ]
    )
    func variants(query: String, expected: [String]) {
        #expect(QueryCanonicalizer.variants(of: query.utf8).map(\.text) == expected)
    }
}
