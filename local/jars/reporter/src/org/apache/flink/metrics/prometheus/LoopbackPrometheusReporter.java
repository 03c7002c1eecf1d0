package org.apache.flink.metrics.prometheus;

import io.prometheus.client.exporter.HTTPServer;
import org.apache.flink.util.PortRange;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Iterator;

/**
 * Flink's Prometheus reporter, bound to one host address instead of every interface.
 *
 * <p>The stock reporter has no host option and listens on 0.0.0.0; the native local stack must
 * listen on loopback only. It lives in Flink's package because the collector registry it serves
 * is package-private in AbstractPrometheusReporter.
 */
public class LoopbackPrometheusReporter extends AbstractPrometheusReporter {
    private final HTTPServer httpServer;

    LoopbackPrometheusReporter(String host, PortRange ports) {
        HTTPServer started = null;
        Iterator<Integer> candidates = ports.getPortsIterator();
        while (started == null && candidates.hasNext()) {
            int port = candidates.next();
            try {
                started = new HTTPServer(new InetSocketAddress(host, port), registry);
                log.info("Started Prometheus reporter on {}:{}", host, port);
            } catch (IOException portTaken) {
                log.debug("Prometheus reporter could not bind {}:{}", host, port, portTaken);
            }
        }
        if (started == null) {
            throw new RuntimeException("Prometheus reporter found no free port on " + host + " in " + ports);
        }
        this.httpServer = started;
    }

    @Override
    public void close() {
        httpServer.stop();
        super.close();
    }
}
