/**
 * GET /favicon.ico: browsers ask for it on every site, whatever the page says; without it every
 * first visit logs a 404. The sealpost lock, 32×32, as an ICO that holds one PNG (638 bytes).
 */
import { Hono } from 'hono';
import { fromBase64Url } from '../../core/shared/index.ts';
import { methodNotAllowed } from '../problem.ts';
import type { AppEnv } from '../types.ts';

const FAVICON_BASE64 = 'AAABAAEAICAAAAEAIABoAgAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAgAAAAIAgGAAAAc3p69AAAAh1JREFUeJzsl01IVFEUx//nztMmkcqCoiFnwoZoIxQtGkMhorRaRzszmnBZuCho3SJoY62KqKBaR7Vy/FgoiiOCOBtx48iMA4of6KioIzN6veeKMqDMzFVnnov5weO+d889738494N7LKRx+c7wGatkvQXY9EngOhGdxxEgpZwhIASIgVTyRGuk+0Z8x0Y7L1fqgw9Jym8gciGfSDkpiV6EO2radgPw3utvgKAACojK8CMOgty1vRUlZY4RAl1EIVGZSAhUC8vpaCq4OKOmunQDTy0S5INNsLalUuFT0Rg53r1VgZeNl+B2OfX3xGQCH3/F0D0YN/oPa5O3PihNfJqfuPDa797X9v5rFD/+TMEEy2Rw3c3TWnx2PokP36PoG1rU/bWq/43fg7fNHoyGVxAMLeX8TwED/I+3j4h3nyP41zWHuYWkfvid+9LH5IpRBqqvluu2Z3Bhjy04vJ2Na1VlMMEogFPlDt2uJjb32OLLKd1eOFcKE4ymIB/YHkDWbfig7ixamtyoqnTChPFYAq0/JxDonc84LmsGXjVWGosz7MO+2ci6CL2ekzgoufgWF2ExgGIAxz+AsegaDkouvkJKTGca8Ol3DFF15TKFj2L2zQRrk/d+f0DdCRtgB1K2qymgEGyDQiLlwBdVuxleZw8Pa7K2iARqIur7OQoMSfGMtfUuCHfe/su1GpdLyDdcnCqtsS7ffx1Ius2O8nwLAAD//wsQiQMAAAAGSURBVAMA22bE7XpAbusAAAAASUVORK5CYII=';

export function faviconRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const icon = fromBase64Url(FAVICON_BASE64);
  app.get('/favicon.ico', (c) => c.body(icon, 200, { 'Content-Type': 'image/x-icon', 'Cache-Control': 'public, max-age=86400' }));
  app.all('/favicon.ico', (c) => methodNotAllowed(c, ['GET']));
  return app;
}
