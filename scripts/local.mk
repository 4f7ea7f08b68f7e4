# scripts/: machine setup, build, demo and test runners (shipped in dist).
dist_noinst_SCRIPTS += \
	scripts/build.sh \
	scripts/build-test-images.sh \
	scripts/demo.sh \
	scripts/install-deps.sh \
	scripts/podman-env.sh \
	scripts/rootfs.sh \
	scripts/run-tests.sh \
	scripts/setup-machine.sh \
	scripts/start-podman-api.sh \
	scripts/stop-podman-api.sh
