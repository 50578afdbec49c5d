// swift-tools-version: 6.0
import Foundation
import PackageDescription

// The simulator calls Model's small accessors on every event; without cross-module
// optimisation each call copies the whole ControlPlane value. Release builds also drop the
// run-time exclusivity checks (debug builds and the tests keep them): on the per-event path
// they cost a runtime call per access to a class's stored property.
let crossModule: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// OpenBLAS's single-threaded build: the threaded one starts a pool at load time that spins on
// the second core for a while in every visag process, though only the matrix benchmark calls
// BLAS, one thread per worker. Debian installs it beside the threaded one (libopenblas-serial-dev).
let serialOpenBLAS = ["x86_64", "aarch64"].map { "/usr/lib/\($0)-linux-gnu/openblas-serial" }
    .first { FileManager.default.fileExists(atPath: "\($0)/libopenblas.so") }
let blasLinking: [LinkerSetting] = serialOpenBLAS.map {
    [.unsafeFlags(["-L\($0)", "-Xlinker", "-rpath", "-Xlinker", $0])]
} ?? []

// librsvg's and cairo's headers (librsvg2-dev, libcairo2-dev), which the figures' PDF export is compiled against: the
// folders `pkg-config --cflags librsvg-2.0 cairo-pdf` names on Debian. Headers only: CSVGToPDF loads the libraries.
let glibConfigHeaders = ["x86_64", "aarch64"].map { "/usr/lib/\($0)-linux-gnu/glib-2.0/include" }
    .first { FileManager.default.fileExists(atPath: $0) }
let svgHeaders: [CSetting] = [
    .unsafeFlags((["/usr/include/librsvg-2.0", "/usr/include/glib-2.0", "/usr/include/gdk-pixbuf-2.0", "/usr/include/cairo"]
        + (glibConfigHeaders.map { [$0] } ?? [])).map { "-I" + $0 }),
]

let package = Package(
    name: "visag",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "visag", targets: ["visag"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Sim", targets: ["Sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // GSL with OpenBLAS as its CBLAS: the module map links gsl then openblas, never gslcblas.
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        // libcrypto for SHA-256 trace digests; libssl for the matrix benchmark's TLS 1.3 channel.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        // libvirt for the real backend (the in-process test:///default driver needs no daemon). Not linked: the
        // headers come from libvirt-dev, and libvirt.so.0 is loaded on the first call (Sources/CLibvirt/loader.c).
        .target(name: "CLibvirt", path: "Sources/CLibvirt"),
        // The output writer's signal-time clean-up: temporary files removed on SIGINT/SIGTERM/SIGHUP.
        .target(name: "COutputCleanup", path: "Sources/COutputCleanup"),
        // The figures' PDFs: librsvg renders a figure's SVG into a cairo PDF surface. Not linked: both are loaded on the
        // first figure (Sources/CSVGToPDF/svg_to_pdf.c), as libvirt is.
        .target(name: "CSVGToPDF", path: "Sources/CSVGToPDF", cSettings: svgHeaders),
        // The control plane: sans-I/O state machines. Standard library only.
        .target(name: "Model", path: "Sources/Model", swiftSettings: crossModule),
        // The discrete-event engine, the simulated world and scenario files.
        .target(
            name: "Sim",
            dependencies: [
                "Model", "CGSL", "COpenSSL", "COutputCleanup", "CSVGToPDF",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Collections", package: "swift-collections"),
            ],
            path: "Sources/Sim",
            swiftSettings: crossModule,
            linkerSettings: blasLinking
        ),
        // Benchmarks: vm-pool (on Sim) and the matrix experiment (GSL over OpenBLAS, TCP/TLS/SSH channels; its
        // virtual modes prepare worker VMs through Real).
        .target(name: "Bench", dependencies: ["Model", "Sim", "Real", "CGSL", "COpenSSL"], path: "Sources/Bench"),
        // The real backend: libvirt hypervisors driven by the same Model, on a wall clock.
        .target(
            name: "Real",
            dependencies: ["Model", "Sim", "CLibvirt", "COpenSSL", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Real",
            swiftSettings: crossModule
        ),
        // The version and the git revision the build came from (`visag --version`, every output's provenance).
        .plugin(name: "GitRevision", capability: .buildTool(), path: "Plugins/GitRevision"),
        .target(name: "BuildInfo", path: "Sources/BuildInfo", plugins: ["GitRevision"]),
        .executableTarget(
            name: "visag",
            dependencies: [
                "Model", "Sim", "Bench", "Real", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/visag"
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model"], path: "Tests/ModelTests"),
        .testTarget(name: "SimTests", dependencies: ["Model", "Sim", "Bench"], path: "Tests/SimTests",
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["visag"], path: "Tests/CLITests"),
        .testTarget(name: "RealTests", dependencies: ["Real", "Model", "Sim"], path: "Tests/RealTests"),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "Model", "Sim", "Real"], path: "Tests/BenchTests"),
    ],
    swiftLanguageModes: [.v6]
)
