// The V1-to-V2 migration settings of a service and of its callers.
// snippet.hide
import MAuth

let key = try MAuthPrivateKey.generate()
let keys = InMemoryPublicKeyProvider()
// snippet.show
// Callers: sign with both versions while services migrate, then with V2 only.
let migrating = try MAuthSigner(appUUID: "my-client", privateKey: key, versions: [.v1, .v2])
let migrated = try MAuthSigner(appUUID: "my-client", privateKey: key, versions: [.v2])

// Services: first keep the fallback but watch mauth_v1_fallbacks_total; then turn it off; then
// refuse V1 altogether.
let noFallback = MAuthAuthenticator(keyProvider: keys, options: .init(fallbackToV1: false))
let v2Only = MAuthAuthenticator(keyProvider: keys, options: .init(v2Only: true))
// snippet.hide
print(migrating.versions, migrated.versions, noFallback.options.fallbackToV1, v2Only.options.v2Only)
