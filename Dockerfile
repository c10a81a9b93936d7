# syntax=docker/dockerfile:1
#
# lease-agent: a Native AOT binary on a chiseled runtime-deps image (no shell, no package manager),
# running as a numeric non-root user and happy with a read-only root filesystem.
#
#   docker build -t lease-agent:0.1.0 .                          # the agent (the default, last stage)
#   docker build -t scaivault-emulator:0.1.0 --target emulator . # the ScaiVault emulator
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
COPY src/ScaiVault.Emulator/ScaiVault.Emulator.csproj src/ScaiVault.Emulator/
# Restore for the runtime identifier publish uses, so the ILCompiler packages land in this cached layer.
RUN dotnet restore src/LeaseAgent/LeaseAgent.csproj -r linux-x64 \
 && dotnet restore src/ScaiVault.Emulator/ScaiVault.Emulator.csproj

# ---- build: publish the AOT binary ---------------------------------------------------------------
FROM restore AS build
COPY src/ScaiVault.Client/ src/ScaiVault.Client/
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
