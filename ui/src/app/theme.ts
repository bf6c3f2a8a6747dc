import { createTheme } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  // Darker shades than Mantine's default keep white text on filled buttons above WCAG AA contrast.
  primaryShade: { light: 8, dark: 8 },
  fontFamily: "'Inter Variable', system-ui, sans-serif",
  defaultRadius: 'sm',
});
