/**
 * The Dockerfiles and Kubernetes manifests whose image lists the unit tests
 * (lib/verify/dockerfile_images_test.ts, manifest_images_test.ts) assert, and which the interop
 * suite (tests/interop/dockerfile_manifest_test.ts) hands to the real Go cosign v2.6.4 to check
 * that it extracts the very same images ("Extracted image(s): …").
 *
 * `go: false` marks the cases where we follow cosign 3 instead of 2.6.4 (a FROM naming an earlier
 * stage is skipped; 2.6.4 verifies it as an image) or 2.6.4 crashes (a panic on `FROM` alone).
 *
 * @module
 */

/** One Dockerfile and what cosign extracts from it. */
export interface DockerfileCase {
  name: string;
  text: string;
  /** The process environment the expansion may read. */
  env?: Record<string, string>;
  /** The images; `--base-image-only` takes the last. */
  images: string[];
  notes?: string[];
  /** The error instead of images (a message of dockerfileImages). */
  error?: string;
  /** Whether Go cosign v2.6.4 agrees (default true). */
  go?: boolean;
}

export const DOCKERFILE_CASES: DockerfileCase[] = [
  { name: "one FROM", text: "FROM alpine:3.20\n", images: ["alpine:3.20"] },
  {
    name: "multi-stage with AS and COPY --from a stage",
    text: `FROM golang:1.23 AS build
WORKDIR /src
COPY . .
RUN go build -o /app
FROM gcr.io/distroless/static:nonroot
COPY --from=build /app /app
`,
    images: ["golang:1.23", "gcr.io/distroless/static:nonroot"],
  },
  {
    name: "--platform before the image, lower-case as",
    text:
      "FROM --platform=$BUILDPLATFORM golang:1.23 as builder\nFROM --platform=linux/arm64 debian:12\n",
    images: ["golang:1.23", "debian:12"],
  },
  {
    name: "ARG defaults substituted in FROM",
    text: "ARG REGISTRY=ghcr.io\nARG VERSION=1.2.3\nFROM ${REGISTRY}/org/app:$VERSION\n",
    images: ["ghcr.io/org/app:1.2.3"],
  },
  {
    name: "an unset build arg comes from the environment",
    text: "ARG BASE\nFROM $BASE\n",
    env: { BASE: "quay.io/org/base@sha256:" + "a".repeat(64) },
    images: ["quay.io/org/base@sha256:" + "a".repeat(64)],
  },
  {
    name: "ENV values substitute too, later lines override",
    text: "ENV TAG=1\nENV TAG=2 OTHER=x\nFROM busybox:${TAG}\n",
    images: ["busybox:2"],
  },
  {
    name: "ENV and ARG values are cut at a second =",
    text: "ARG IMG=repo:tag=extra\nFROM $IMG\n",
    images: ["repo:tag"],
  },
  {
    name: "scratch is skipped",
    text: "FROM alpine AS certs\nFROM scratch\nCOPY --from=certs /etc/ssl /etc/ssl\n",
    images: ["alpine"],
    notes: ["- scratch image ignored"],
  },
  {
    name: "COPY --from an image",
    text: "FROM alpine\nCOPY --from=nginx:1.27 /etc/nginx/nginx.conf /nginx.conf\n",
    images: ["alpine", "nginx:1.27"],
  },
  {
    name: "COPY --from=<stage index> counts as an image, as in cosign",
    text: "FROM alpine\nCOPY --from=0 /a /b\n",
    images: ["alpine", "0"],
  },
  {
    name: "COPY with an empty --from adds nothing",
    text: "FROM alpine\nCOPY --from= /a /b\n",
    images: ["alpine"],
  },
  {
    name: "CRLF line ends and indentation",
    text: "  FROM alpine:3 AS a\r\n\tFROM  debian:12\t\r\n",
    images: ["alpine:3", "debian:12"],
  },
  {
    name: "lower-case from: the keyword is kept as a field, the image is still last",
    text: "from alpine\nfrom --platform=linux/amd64 debian as x\n",
    images: ["alpine", "debian"],
  },
  {
    name: "a FROM-like word is read as FROM, as cosign's prefix test does",
    text: "FROMAGE brie\n",
    images: ["brie"],
  },
  {
    name: "no line continuation: the backslash is the image",
    text: "FROM \\\n  alpine\n",
    images: ["\\"],
  },
  {
    name: "${} and unclosed ${ are dropped, $ before punctuation stays",
    text: "FROM reg${}istry/a$/b${TAG\n",
    images: ["registry/a$/bTAG"],
  },
  {
    name: "special one-character variables",
    text: "FROM img:$1-${*}x\n",
    env: { "1": "one", "*": "star" },
    images: ["img:one-starx"],
  },
  {
    name: "comments and other instructions are ignored",
    text: "# FROM evil\nRUN echo FROM x\n",
    images: [],
  },
  {
    name: "a FROM naming an earlier stage is skipped (cosign 3)",
    text: "FROM alpine AS base\nFROM base AS final\n",
    images: ["alpine"],
    notes: ["- stage reference ignored: base"],
    go: false,
  },
  {
    name: "AS without a stage name (cosign 3's error; 2.6.4 panics)",
    text: "FROM alpine AS\n",
    images: [],
    error: 'expected stage name after "AS" in line "FROM alpine AS"',
    go: false,
  },
  {
    name: "FROM with an unset variable only (cosign 3's error; 2.6.4 panics)",
    text: "FROM $MISSING\n",
    images: [],
    error: 'no image found in line "FROM $MISSING" (is a build arg missing from the environment?)',
    go: false,
  },
  {
    name: "a line of 64 KiB",
    text: "FROM alpine\n#" + "x".repeat(65535) + "\n",
    images: [],
    error: "bufio.Scanner: token too long",
  },
];

/** One manifest and what cosign extracts from it. */
export interface ManifestCase {
  name: string;
  text: string;
  images: string[];
  /** Set when cosign cannot decode it. */
  error?: boolean;
  go?: boolean;
}

export const MANIFEST_CASES: ManifestCase[] = [
  {
    name: "a Pod with init containers first",
    text: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: ghcr.io/org/app:1.0
  - name: sidecar
    image: envoyproxy/envoy:v1.31
  initContainers:
  - name: init
    image: busybox:1.36
`,
    images: ["busybox:1.36", "ghcr.io/org/app:1.0", "envoyproxy/envoy:v1.31"],
  },
  {
    name: "Deployment, CronJob and Service in one file",
    text: `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - image: nginx:1.27
---
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - image: alpine:3
          containers:
          - image: curlimages/curl:8.9.1
---
apiVersion: v1
kind: Service
spec:
  ports:
  - port: 80
`,
    images: ["nginx:1.27", "alpine:3", "curlimages/curl:8.9.1"],
  },
  {
    name: "empty documents, comments after the separator, a leading separator",
    text: "---\n# nothing\n--- # still nothing\n---\nspec:\n  containers:\n  - image: a\n...\n",
    images: ["a"],
  },
  {
    name: "ephemeralContainers and List items are not looked at",
    text: `kind: List
items:
- kind: Pod
  spec:
    containers:
    - image: hidden
spec:
  ephemeralContainers:
  - image: debug
  containers:
  - image: shown
`,
    images: ["shown"],
  },
  {
    name: "keys match case-insensitively",
    text: "SPEC:\n  Containers:\n  - IMAGE: upper\n",
    images: ["upper"],
  },
  {
    name: "Spec and spec merge; sorted keys: spec's containers replace Spec's",
    text:
      "spec:\n  containers:\n  - image: second\nSpec:\n  containers:\n  - image: first\n  initContainers:\n  - image: init\n",
    images: ["init", "second"],
  },
  {
    name: "duplicate keys: the last one wins",
    text: "spec:\n  containers:\n  - image: one\n  containers:\n  - image: two\n",
    images: ["two"],
  },
  {
    name: "empty and null images are skipped",
    text: "spec:\n  containers:\n  - image: ''\n  - image: ~\n  - name: noimage\n  - image: real\n",
    images: ["real"],
  },
  {
    name: "an image that YAML 1.1 reads as a number (0777) fails the manifest",
    text: "spec:\n  containers:\n  - image: 0777\n",
    images: [],
    error: true,
  },
  {
    name: "an image that YAML 1.1 reads as a boolean (yes) fails the manifest",
    text: "spec:\n  template:\n    spec:\n      containers:\n      - image: yes\n",
    images: [],
    error: true,
  },
  {
    name: "quoted, the same images are text",
    text: "spec:\n  containers:\n  - image: '0777'\n  - image: \"yes\"\n",
    images: ["0777", "yes"],
  },
  {
    name: "anchors and merge keys",
    text:
      "base: &c\n  image: anchored\nspec:\n  containers:\n  - *c\n  - <<: *c\n    name: merged\n",
    images: ["anchored", "anchored"],
  },
  {
    name: "a JSON manifest",
    text: '{"kind": "Pod", "spec": {"containers": [{"image": "json:1"}]}}\n',
    images: ["json:1"],
  },
  {
    name: "a quoted timestamp-like and sexagesimal-like image stay text",
    text: "spec:\n  containers:\n  - image: 2001-12-14\n  - image: 1:20\n",
    images: ["2001-12-14", "1:20"],
  },
  { name: "no images at all", text: "kind: ConfigMap\ndata:\n  a: b\n", images: [] },
  {
    name: "containers that are not a list",
    text: "spec:\n  containers:\n    image: x\n",
    images: [],
    error: true,
  },
  {
    name: "an image that is a mapping",
    text: "spec:\n  containers:\n  - image:\n      name: x\n",
    images: [],
    error: true,
  },
  { name: "a document that is a list", text: "- a\n- b\n", images: [], error: true },
  { name: "a document that is text", text: "hello\n", images: [], error: true },
  {
    name: "a bad document separator",
    text: "spec: {}\n---x\nspec: {}\n",
    images: [],
    error: true,
  },
  { name: "YAML that does not parse", text: "spec: [\n", images: [], error: true },
  {
    name: "a bad document after good ones fails the whole manifest",
    text: "spec:\n  containers:\n  - image: ok\n---\nspec: 5\n",
    images: [],
    error: true,
  },
];
