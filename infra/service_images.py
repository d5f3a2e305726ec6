"""The Cloud Run services' images, for the plan build (cloudbuild/plan.yaml; docs/deploy.md, Service images).

Each service's image is built from the unpacked bundle with infra/service.Dockerfile and tagged with its closure
hash (closures.json's `services`, infra/bundle.py). The repository's tags are immutable, so a closure is one image,
built once by the first plan build that needs it. The plans pin each image by digest (`var.service_images`): the
image an approver reads in a plan is the one that runs.

    python -m infra.service_images tags --repository R
        one line per service of the bundle's manifest, `<name> R/<deploy name>:<closure hash>`: the images to have
    python -m infra.service_images pin --repository R --digests FILE --out FILE
        the plans' var-file, {"service_images": {name: "R/<deploy name>@sha256:..."}}, from the `<name> <reference>`
        lines the registry's digests were written as; anything but one such reference per service is refused
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra.bundle import CLOSURES_NAME, DEFAULT_OUT, MANIFEST_NAME

DEFAULT_BUILD = DEFAULT_OUT.parent
DIGEST = r"@sha256:[0-9a-f]{64}"


@dataclass(frozen=True)
class ServiceImage:
    name: str  # the service's name in the registry, which keys var.service_images
    path: str  # <repository>/<deploy name>
    tag: str  # its closure hash

    @property
    def tagged(self) -> str:
        return f"{self.path}:{self.tag}"


def service_images(build: Path, repository: str) -> list[ServiceImage]:
    """The image each service of the bundle's manifest runs, tagged with its closure hash."""
    if not repository:
        raise ValueError("no repository for the service images (the plan trigger's _SERVICE_IMAGES)")
    with zipfile.ZipFile(build / DEFAULT_OUT.name) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    hashes = json.loads((build / CLOSURES_NAME).read_text())["services"]
    services = manifest.get("services", [])
    return [ServiceImage(svc["name"], f"{repository}/{svc['deploy_name']}", hashes[svc["name"]]) for svc in services]


def pinned(images: list[ServiceImage], digests: str) -> dict[str, str]:
    """Service name -> its image by digest, from `<name> <reference>` lines: exactly one reference per service,
    and that reference its own image's, by digest."""
    found: dict[str, list[str]] = {}
    for line in filter(None, (line.strip() for line in digests.splitlines())):
        name, _, reference = line.partition(" ")
        found.setdefault(name, []).append(reference.strip())
    pins: dict[str, str] = {}
    for image in images:
        references = found.pop(image.name, [])
        if len(references) != 1 or not re.fullmatch(re.escape(image.path) + DIGEST, references[0]):
            raise ValueError(f"{image.name}: expected one {image.path}@sha256:<digest>, got {references}")
        pins[image.name] = references[0]
    if found:
        raise ValueError(f"digests for services the manifest does not have: {sorted(found)}")
    return pins


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.service_images", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("tags", "pin"))
    parser.add_argument("--repository", required=True, help="<location>-docker.pkg.dev/<project>/<repository>")
    parser.add_argument("--build", type=Path, default=DEFAULT_BUILD, help="where the bundle and closures.json are")
    parser.add_argument("--digests", type=Path, help="pin: the `<name> <reference>` lines")
    parser.add_argument("--out", type=Path, help="pin: the var-file to write")
    args = parser.parse_args(argv)
    images = service_images(args.build, args.repository)
    if args.command == "tags":
        sys.stdout.writelines(f"{image.name} {image.tagged}\n" for image in images)
        return
    if args.digests is None or args.out is None:
        parser.error("pin needs --digests and --out")
    pins = pinned(images, args.digests.read_text())
    args.out.write_text(json.dumps({"service_images": pins}, indent=2, sort_keys=True) + "\n")
    print(args.out.read_text(), end="")


if __name__ == "__main__":
    main()
