import Foundation
import NIOCore

/// The cores this process may run on, and the event loops it should run to match.
///
/// NIO sizes its shared event loop group from the machine's cores, cgroup quotas and cpusets, but
/// not from the process's CPU affinity (`taskset`, `numactl`, a scheduler's pinning). A server
/// pinned to one core then runs two loops on it, which take turns at the kernel scheduler's pace:
/// a request that arrives on the loop not running waits out the other's time slice, milliseconds,
/// and the latency's tail shows it.
package enum UsableCores {
    /// How many cores the process's CPU affinity lets it run on; `nil` where that cannot be known.
    package static var count: Int? {
        // Linux states the affinity mask in hexadecimal, in groups of 32 bits: "Cpus_allowed:\tff,ffffffff".
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        let digits = line.dropFirst("Cpus_allowed:".count).compactMap(\.hexDigitValue)
        let cores = digits.reduce(0) { $0 + $1.nonzeroBitCount }
        return cores > 0 ? cores : nil
    }

    /// Sizes NIO's shared event loop group (`MultiThreadedEventLoopGroup.singleton`) to one loop per
    /// usable core, unless `NIO_SINGLETON_GROUP_LOOP_COUNT` already chooses. It must run before
    /// anything in the process uses the group, and at most once, as NIO requires of
    /// `NIOSingletons.groupLoopCountSuggestion`.
    package static func sizeSharedEventLoopGroup() {
        guard getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil, let count, count < System.coreCount else { return }
        NIOSingletons.groupLoopCountSuggestion = count
    }
}
