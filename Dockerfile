# Production image of the mif binary (API, worker and one-shot commands are the same image with
# different commands). docker-compose.yml and deploy/k8s use it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/mif ./cmd/mif \
    && mkdir -p /out/state/documents /out/state/secrets

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mif /usr/local/bin/mif
COPY casbin/ /etc/mif/casbin/
# Writable state owned by the image's user (nonroot, 65532): Docker gives a new named volume
# mounted here the ownership of the image's directory, so the process can write documents (and
# `mif init-secrets` its secrets) without running as root.
COPY --from=build --chown=65532:65532 /out/state /var/lib/mif
ENV MIF_HTTP_ADDR=:8000 \
    MIF_LOG_FORMAT=json \
    MIF_DOCUMENTS_DIR=/var/lib/mif/documents \
    MIF_CASBIN_MODEL_FILE=/etc/mif/casbin/model.conf \
    MIF_CASBIN_POLICY_FILE=/etc/mif/casbin/policy.csv
EXPOSE 8000
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/mif"]
CMD ["serve"]
