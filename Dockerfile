# Production image of the mif binary (API and worker are the same image, different commands).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/mif ./cmd/mif

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mif /usr/local/bin/mif
COPY casbin/ /etc/mif/casbin/
ENV MIF_HTTP_ADDR=:8000 MIF_LOG_FORMAT=json
EXPOSE 8000
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/mif"]
CMD ["serve"]
