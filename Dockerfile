# syntax=docker/dockerfile:1
#
# lease-agent: a Native AOT binary on a chiseled runtime-deps image (no shell, no package manager),
# running as a numeric non-root user and happy with a read-only root filesystem.
#
#   docker build -t lease-agent:0.1.0 .                          # the agent (the default, last stage)
#   docker build -t scaivault-emulator:0.1.0 --target emulator . # the ScaiVault emulator
#   docker build -t scaivault-csi-provider:0.1.0 --target csi-provider .   # the Secrets Store CSI provider
#   docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD) …   # commit for `lease-agent version`
#
# .dockerignore keeps .git out of the context, so the SDK cannot read the commit itself: pass it as
# SOURCE_REVISION. The image is linux-x64 only: Native AOT does not cross-compile between architectures.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble

# ---- restore: toolchain and packages, cached until a project file changes ----------------------
FROM ${SDK_IMAGE} AS restore
# Native AOT links with clang and needs zlib's headers.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .editorconfig belongs to the build: code-style rules are enforced as errors (Directory.Build.props).
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LeaseAgent/LeaseAgent.csproj src/LeaseAgent/
COPY src/ScaiVault.Client/ScaiVault.Client.csproj src/ScaiVault.Client/
COPY src/ScaiVault.Hosting/ScaiVault.Hosting.csproj src/ScaiVault.Hosting/
COPY src/ScaiVault.Emulator/ScaiVault.Emulator.csproj src/ScaiVault.Emulator/
# Restore for the runtime identifier publish uses, so the ILCompiler packages land in this cached layer.
RUN dotnet restore src/LeaseAgent/LeaseAgent.csproj -r linux-x64 \
 && dotnet restore src/ScaiVault.Emulator/ScaiVault.Emulator.csproj

# ---- build: publish the AOT binary ---------------------------------------------------------------
FROM restore AS build
COPY src/ScaiVault.Client/ src/ScaiVault.Client/
COPY src/ScaiVault.Hosting/ src/ScaiVault.Hosting/
COPY src/LeaseAgent/ src/LeaseAgent/
ARG SOURCE_REVISION=""
# Directory.Build.props sets ArtifactsPath, so the output lands in
# artifacts/publish/LeaseAgent/release_linux-x64/ (lease-agent and its lease-agent.dbg symbols).
RUN dotnet publish src/LeaseAgent/LeaseAgent.csproj -c Release -r linux-x64 \
      ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} \
 && test -x artifacts/publish/LeaseAgent/release_linux-x64/lease-agent

# ---- build-emulator: the emulator is an ordinary framework-dependent ASP.NET Core app -----------
FROM restore AS build-emulator
COPY src/ScaiVault.Emulator/ src/ScaiVault.Emulator/
RUN dotnet publish src/ScaiVault.Emulator/ScaiVault.Emulator.csproj -c Release --no-restore -o /out/emulator

# ---- emulator (docker build --target emulator) --------------------------------------------------
# Needs a Postgres for its state: --postgres "<connection string>", and the admin token from the environment
# (-e SCAIVAULT_EMULATOR_ADMIN_TOKEN) or a mounted file (--admin-token-file), not on the command line. Arguments
# replace CMD, so pass --urls http://0.0.0.0:8200 too. --dev is never a default: on a non-loopback address the
# emulator refuses it unless --dev-allow-remote is given as well.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS emulator
COPY --from=build-emulator /out/emulator/ /app/
USER 65532:65532
EXPOSE 8200
ENTRYPOINT ["dotnet", "/app/scaivault-emulator.dll"]
CMD ["--urls", "http://0.0.0.0:8200"]

# ---- build-csi-provider: publish the CSI provider's AOT binary ---------------------------------
# Its own stage on top of restore, so the agent's and the emulator's layers stay exactly as they were.
FROM restore AS build-csi-provider
COPY src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj src/ScaiVault.CsiProvider/
RUN dotnet restore src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj -r linux-x64
COPY src/ScaiVault.Client/ src/ScaiVault.Client/
COPY src/ScaiVault.Hosting/ src/ScaiVault.Hosting/
COPY src/ScaiVault.CsiProvider/ src/ScaiVault.CsiProvider/
ARG SOURCE_REVISION=""
# Output: artifacts/publish/ScaiVault.CsiProvider/release_linux-x64/scaivault-csi-provider (ArtifactsPath, as above).
RUN dotnet publish src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj -c Release -r linux-x64 \
      ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} \
 && test -x artifacts/publish/ScaiVault.CsiProvider/release_linux-x64/scaivault-csi-provider

# ---- csi-provider (docker build --target csi-provider) ------------------------------------------
# The DaemonSet of charts/scaivault-csi-provider: serves the Secrets Store CSI driver on
# /provider/scaivault.sock, a hostPath the kubelet's node owns. Same chiseled base as the agent (no
# shell): the liveness probe execs `scaivault-csi-provider probe`.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS csi-provider
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY --from=build-csi-provider /src/artifacts/publish/ScaiVault.CsiProvider/release_linux-x64/scaivault-csi-provider /usr/local/bin/scaivault-csi-provider
# Root, unlike the agent: the socket lives in the host's /var/run/secrets-store-csi-providers, a root-owned
# directory shared with the driver, which connects as root; the provider creates the socket there (mode 0700)
# and removes a stale one. It needs no capability (the chart drops ALL), no Kubernetes API and nothing else
# of the host. The chiseled image's default user is non-root, so say so explicitly.
USER 0:0
ENTRYPOINT ["/usr/local/bin/scaivault-csi-provider"]

# ---- agent (the default target) ------------------------------------------------------------------
# runtime-deps carries only what a self-contained binary needs (glibc, libssl/libcrypto for TLS,
# CA certificates, tzdata); chiseled means no shell and no package manager. Probes therefore exec
# the binary itself: `lease-agent probe ready|live`.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS agent
# Spelled out so exec probes find `lease-agent` whatever the runtime's default PATH is.
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY --from=build /src/artifacts/publish/LeaseAgent/release_linux-x64/lease-agent /usr/local/bin/lease-agent
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd. The agent writes
# only to its volume (OUTPUT_FILE's directory), so a read-only root filesystem works.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/lease-agent"]
CMD ["run"]
