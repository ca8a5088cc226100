package api

import "github.com/labstack/echo/v4"

// auditRoutes registers the IG officers' view of the access log.
func (s *Server) auditRoutes(f *echo.Group) {}
