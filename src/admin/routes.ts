import type { AdminRouteModule } from './plugin.js';
import { authRoutes } from './auth-routes.js';
import { catalogAdminRoutes } from './catalog-routes.js';
import { customerAdminRoutes } from './customers-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { orderRoutes } from './orders-routes.js';
import { orderEntryRoutes } from './order-entry-routes.js';
import { securityRoutes } from './security-routes.js';
import { monitorAdminRoutes } from './monitor-routes.js';
import { settingsAdminRoutes } from './settings-routes.js';
import { staffRoutes } from './staff-routes.js';
import { incidentAdminRoutes } from '../incidents/admin-routes.js';
import { catalogRequestAdminRoutes } from './catalog-requests-routes.js';
import { paperRoutes } from './paper-routes.js';
import { privacyAdminRoutes } from '../privacy/admin-routes.js';

/** Every admin page, by domain. */
export const ADMIN_MODULES: AdminRouteModule[] = [
  authRoutes,
  dashboardRoutes,
  orderRoutes,
  catalogAdminRoutes,
  customerAdminRoutes,
  settingsAdminRoutes,
  securityRoutes,
  staffRoutes,
  incidentAdminRoutes,
  catalogRequestAdminRoutes,
  paperRoutes,
  orderEntryRoutes,
  monitorAdminRoutes,
  privacyAdminRoutes,
];
